// pvg-vmm: run | trace | bench | --help | --version. A bad flag is one line and exit status 2; a
// failure while running is one line and exit status 1; only a bug prints a stack.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../shared/package-root.js';
import { restore } from './restore.js';
import { run } from './run.js';
import { trace } from './trace.js';
import { CliError, UsageError } from './usage.js';

const HELP = `usage: pvg-vmm <command> [options]

commands:
  run      boot a VM and run a built-in workload (pvg-vmm run --help)
  restore  bring back a VM saved with run --save, and run it on (pvg-vmm restore --help)
  trace    run a workload and write a Chrome Trace Event JSON timeline (pvg-vmm trace --help)
  bench    run benchmark suites (pvg-vmm bench --help)

  -V, --version   the version
  -h, --help      this text

Run "pvg-vmm <command> --help" for a command's options.`;

function version(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(HELP);
      return command === undefined ? 2 : 0;
    case '-V':
    case '-v':
    case '--version':
    case 'version':
      console.log(`pvg-vmm ${version()}`);
      return 0;
    case 'run':
      return run(rest);
    case 'restore':
      return restore(rest);
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
    const command = ['run', 'trace', 'restore'].includes(process.argv[2] ?? '') ? `pvg-vmm ${process.argv[2]}` : 'pvg-vmm';
    console.error(`pvg-vmm: ${(err as Error).message} ("${command} --help" lists the options)`);
    process.exitCode = 2;
  } else if (err instanceof CliError) {
    console.error(`pvg-vmm: ${err.message}`);
    process.exitCode = 1;
  } else {
    console.error(`pvg-vmm: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}
