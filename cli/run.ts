// `pvg-vmm run`: boots a VM and runs a built-in workload. After N frames the guest stops drawing
// and the VM keeps running (its display holds the last frame) until Ctrl-C or SIGTERM; with
// --exit it stops by itself. Either way it prints a summary; a host fault exits non-zero.
import { parseArgs } from 'node:util';

import { WORKLOAD_NAMES, WORKLOADS } from '../actors/vcpu/guest/workloads/index.js';
import { VmConfigError, DEFAULT_MODES, type VmOptions } from '../vmm/config.js';
import { Vm } from '../vmm/vm.js';
import { OUTPUT_FLAGS, OUTPUT_HELP, parseOutputFlags, startOutputs, type OutputOptions } from './outputs.js';
import { summarize } from './summary.js';
import { UsageError, integerFlag, percentFlag } from './usage.js';

export const RUN_HELP = `usage: pvg-vmm run [options]

Boots a VM (by default one vCPU and one apple-gfx-mmio device with one display) and runs a
built-in workload on it.

options:
  --workload NAME     ${WORKLOAD_NAMES.join(' | ')} (default desktop)
  --frames N          frames the guest draws (default 300)
  --exit              stop after the frames instead of waiting for Ctrl-C
  --variant V         mmio | pci (default mmio)
  --devices N         apple-gfx devices, each driven by its own vCPU (default 1)
  --vcpus N           vCPUs (default: one per device)
  --displays N        displays per device (default 1)
  --modes LIST        comma-separated WxH@R modes (default ${DEFAULT_MODES.join(',')})
  --mode I            index of the mode to start in (default 0)
  --seed S            workload seed (default 1)
  --damage PCT        band workload: percent of the frame redrawn per frame, in (0, 100] (default 100)
  --write-window N    posted MMIO writes in flight per vCPU; 0 = synchronous (default 16)
  --snapshot FILE     once the frames are done, write display 0 of device 0 as a PNG (cursor included)
${OUTPUT_HELP}
  -h, --help          this text

workloads:
${WORKLOAD_NAMES.map((n) => `  ${n.padEnd(10)} ${WORKLOADS[n]!.description}`).join('\n')}`;

export function parseRunArgs(argv: string[]): { options: VmOptions; exit: boolean; snapshot: string | null; outputs: OutputOptions } | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      workload: { type: 'string', default: 'desktop' },
      frames: { type: 'string', default: '300' },
      exit: { type: 'boolean', default: false },
      variant: { type: 'string', default: 'mmio' },
      devices: { type: 'string', default: '1' },
      vcpus: { type: 'string' },
      displays: { type: 'string', default: '1' },
      modes: { type: 'string' },
      mode: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      damage: { type: 'string', default: '100' },
      'write-window': { type: 'string', default: '16' },
      snapshot: { type: 'string' },
      ...OUTPUT_FLAGS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const devices = integerFlag('--devices', values.devices, 1, 16);
  if (values.variant !== 'mmio' && values.variant !== 'pci') throw new UsageError(`--variant must be mmio or pci, got "${values.variant}"`);
  if (!WORKLOAD_NAMES.includes(values.workload)) throw new UsageError(`--workload must be one of ${WORKLOAD_NAMES.join(', ')}, got "${values.workload}"`);
  const device = {
    variant: values.variant,
    displays: integerFlag('--displays', values.displays, 1, 8),
    ...(values.modes ? { displayModes: values.modes.split(',') } : {}),
  } as const;
  if (values.snapshot !== undefined && values.snapshot.trim() === '') throw new UsageError('--snapshot needs a file name');
  const outputs = parseOutputFlags(values, devices * device.displays);
  return {
    outputs,
    exit: values.exit,
    snapshot: values.snapshot ?? null,
    options: {
      devices: Array.from({ length: devices }, () => ({ ...device })),
      ...(values.vcpus !== undefined ? { vcpus: integerFlag('--vcpus', values.vcpus, 1, 64) } : {}),
      writeWindow: integerFlag('--write-window', values['write-window'], 0, 256),
      workload: {
        name: values.workload,
        frames: integerFlag('--frames', values.frames, 0, 1e9),
        seed: integerFlag('--seed', values.seed, 0, 0xffffffff),
        mode: integerFlag('--mode', values.mode, 0, 31),
        damagePercent: percentFlag('--damage', values.damage),
      },
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseRunArgs(argv);
  if (parsed === 'help') {
    console.log(RUN_HELP);
    return 0;
  }
  const started = performance.now();
  let vm: Vm;
  try {
    vm = await Vm.create(parsed.options);
  } catch (err) {
    if (err instanceof VmConfigError) throw new UsageError(err.message);
    throw err;
  }
  let failure: Error | null = null;
  try {
    await startOutputs(vm, parsed.outputs, (line) => process.stderr.write(`pvg-vmm: ${line}\n`));
  } catch (err) {
    await vm.stop();
    throw new UsageError(`cannot start the outputs: ${(err as Error).message}`);
  }
  const failed = vm.whenFailed().then((f) => (failure = f));
  let interrupted = false;
  const stopSignal = new Promise<void>((resolve) => {
    const onSignal = () => {
      interrupted = true;
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await Promise.race([vm.whenGuestsDone(), failed, stopSignal]);
  const drawn = performance.now() - started;
  if (parsed.snapshot && !failure && !interrupted) {
    await vm.settle();
    await vm.snapshot(parsed.snapshot);
    process.stderr.write(`pvg-vmm: snapshot written to ${parsed.snapshot}\n`);
  }
  if (!parsed.exit && !failure && !interrupted) {
    process.stderr.write('pvg-vmm: the guest finished its frames; the VM keeps running (Ctrl-C stops it)\n');
    await Promise.race([failed, stopSignal]);
  }
  let summary = '';
  if (!failure) summary = summarize(await vm.stats(), drawn);
  await vm.stop();
  if (summary) console.log(summary);
  if (failure) {
    console.error(`pvg-vmm: host fault: ${(failure as Error).message}`);
    return 1;
  }
  return 0;
}
