// pvg-vmm: run | bench | --help.
import { RUN_HELP, run } from './run.js';
import { TRACE_HELP, trace } from './trace.js';
import { UsageError } from './usage.js';

const HELP = `usage: pvg-vmm <command> [options]

commands:
  run      boot a VM and run a built-in workload (pvg-vmm run --help)
  trace    run a workload and write a Chrome Trace Event JSON timeline (pvg-vmm trace --help)
  bench    run benchmark suites (pvg-vmm bench --help)

Run "pvg-vmm <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP);
      return command === undefined ? 2 : 0;
    case 'run':
      return run(rest);
    case 'trace':
      return trace(rest);
    case 'bench': {
      process.argv = [process.argv[0]!, 'bench', ...rest];
      await import('../bench/cli.js');
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    const help = process.argv[2] === 'run' ? RUN_HELP : process.argv[2] === 'trace' ? TRACE_HELP : HELP;
    console.error(`pvg-vmm: ${(err as Error).message}\n\n${help}`);
    process.exitCode = 2;
  } else {
    console.error(`pvg-vmm: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}
