// `pvg-vmm restore FILE`: builds a VM from a snapshot file (docs/snapshots.md) and runs it on as
// `pvg-vmm run` does: the saved workload to its end, then the summary; --exit, --snapshot,
// --engine, the outputs and the status line as run has them. A file that is not a whole snapshot
// of this pvg-vmm version is one line and exit status 1, with nothing started.
import { parseArgs } from 'node:util';

import { VmConfigError } from '../vmm/config.js';
import type { EngineChoice } from '../vmm/engine-backend.js';
import { SnapshotFormatError } from '../vmm/snapshot/errors.js';
import { Vm } from '../vmm/vm.js';
import { OUTPUT_FLAGS, OUTPUT_HELP, parseOutputFlags } from './outputs.js';
import { drive, type DriveArgs } from './run.js';
import { CliError, ENGINE_HELP, ENGINE_OPTION, UsageError, engineFlag, outputFileFlag } from './usage.js';

/** The most displays a machine has (16 devices of 8): --vnc's ports are checked against it before the file says how many. */
const MAX_DISPLAYS = 16 * 8;

export const RESTORE_HELP = `usage: pvg-vmm restore FILE [options]

Builds a VM from a snapshot file written by "pvg-vmm run --save FILE" or vm.saveSnapshot(), and
runs its workload on to the end (docs/snapshots.md). The machine (devices, displays, workload,
RAM) comes from the file; the options below are this host's.

options:
  --exit              stop after the frames instead of waiting for Ctrl-C
  --snapshot FILE     once the frames are done, write display 0 of device 0 as a PNG (cursor included)
  --control PATH      open a control socket at PATH (owner-only; JSON lines in QMP's shape), as run's
  --json              print one JSON object instead of the summary
${ENGINE_HELP}
${OUTPUT_HELP}
  --status            show the live status line on stderr even when it is not a terminal
  --quiet             no status line
  -h, --help          this text`;

/** run's flags that shape the machine: a restore takes the machine from the file, so naming one is refused (not ignored). */
const MACHINE_FLAGS = [
  'workload',
  'frames',
  'variant',
  'devices',
  'vcpus',
  'displays',
  'modes',
  'mode',
  'seed',
  'damage',
  'write-window',
  'profile',
  'pacing',
  'threading',
  'cpu',
  'input',
  'input-transport',
  'input-interrupts',
];

export function parseRestoreArgs(argv: string[]): { file: string; engine: EngineChoice; drive: DriveArgs } | 'help' {
  const machineFlag = argv.find((a) => MACHINE_FLAGS.includes(a.replace(/^--/, '').split('=')[0]!) && a.startsWith('--'));
  if (machineFlag !== undefined)
    throw new UsageError(
      `${machineFlag.split('=')[0]} shapes the machine, which comes from the snapshot file as it was saved; restore takes this host's options only`,
    );
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      exit: { type: 'boolean', default: false },
      snapshot: { type: 'string' },
      control: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...ENGINE_OPTION,
      ...OUTPUT_FLAGS,
      status: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`restore takes one snapshot file, got ${positionals.length}`);
  if (values.snapshot !== undefined) outputFileFlag('--snapshot', values.snapshot);
  if (values.status && values.quiet) throw new UsageError('--status and --quiet contradict each other');
  if (values.control !== undefined && values.control.trim() === '') throw new UsageError('--control needs a path');
  return {
    file: positionals[0]!,
    engine: engineFlag(values.engine),
    drive: {
      exit: values.exit,
      snapshot: values.snapshot ?? null,
      control: values.control ?? null,
      json: values.json,
      outputs: parseOutputFlags(values, MAX_DISPLAYS),
      status: values.status ? 'on' : values.quiet || values.json ? 'off' : 'auto',
    },
  };
}

export async function restore(argv: string[]): Promise<number> {
  const parsed = parseRestoreArgs(argv);
  if (parsed === 'help') {
    console.log(RESTORE_HELP);
    return 0;
  }
  const started = performance.now();
  let vm: Vm;
  try {
    vm = await Vm.restore(parsed.file, { engine: parsed.engine });
  } catch (err) {
    // The backend this host cannot run is the flag's fault, refused as run refuses it.
    if (err instanceof VmConfigError && err.field === 'engine') throw new UsageError(err.message);
    if (err instanceof SnapshotFormatError || err instanceof VmConfigError || (err as NodeJS.ErrnoException).code !== undefined) {
      throw new CliError(`cannot restore ${parsed.file}: ${(err as Error).message}`);
    }
    throw err;
  }
  return drive(vm, parsed.drive, started);
}
