// `pvg-vmm run`: boots a VM and runs a built-in workload. After N frames the guest stops drawing
// and the VM keeps running (its display holds the last frame) until Ctrl-C or SIGTERM; with
// --exit it stops by itself. Either way it prints a summary; a host fault exits non-zero. While it
// runs, a terminal on stderr gets a live status line (status-ticker.ts); Ctrl-Z (SIGTSTP) pauses
// the machine instead of the process, SIGCONT resumes it and SIGUSR2 resets it (docs/lifecycle.md).
import { parseArgs } from 'node:util';

import { WORKLOAD_NAMES, WORKLOADS } from '../guest/ts/workloads/index.js';
import { VmConfigError, DEFAULT_MODES, type VmOptions } from '../vmm/config.js';
import { Vm } from '../vmm/vm.js';
import { OUTPUT_FLAGS, OUTPUT_HELP, parseOutputFlags, startOutputs, type OutputOptions } from './outputs.js';
import { StatusTicker } from './status-ticker.js';
import { summarize } from './summary.js';
import { runReport } from './run-report.js';
import {
  CliError,
  PROFILE_HELP,
  UsageError,
  cpuFlag,
  ENGINE_HELP,
  ENGINE_OPTION,
  engineFlag,
  integerFlag,
  joinNegativeValues,
  outputFileFlag,
  percentFlag,
  profileOptions,
  threadingFlag,
} from './usage.js';

/** How long the CLI waits for the compositor to take the guests' last frames before the summary. */
const SETTLE_TIMEOUT_MS = 10_000;

export const RUN_HELP = `usage: pvg-vmm run [options]

Boots a VM (by default one vCPU and one apple-gfx-mmio device with one display) and runs a
built-in workload on it.

options:
  --workload NAME     ${WORKLOAD_NAMES.join(' | ')} (default desktop)
  --frames N          frames the guest draws (default 300; paint: no limit, it runs until stopped)
  --exit              stop after the frames instead of waiting for Ctrl-C
  --variant V         mmio | pci (default mmio)
  --devices N         apple-gfx devices, each driven by its own vCPU (default 1)
  --vcpus N           vCPUs (default: one per device)
  --displays N        displays per device (default 1)
  --modes LIST        comma-separated WxH@R modes (default ${DEFAULT_MODES.join(',')})
  --mode I            index of the mode to start in (default 0)
  --seed S            workload seed (default 1)
  --damage PCT        band workload: percent of the frame redrawn per frame, in (0, 100] (default 100)
  --write-window N    posted MMIO writes in flight per vCPU; 0 = synchronous (default 16; 0 under
                      --profile pvg)
  --compositor-shards N
                      compositor actors, each owning whole devices' displays: 1 to --devices
                      (default: one per four displays, at most one per four cores; docs/scaling.md)
${PROFILE_HELP}
  --threading M       actor | qemu | record-lock: qemu models QEMU's big lock as upstream
                      apple-gfx takes it, record-lock one lock per actor record (default actor)
  --cpu C             ts | kvm | auto: ts runs the TypeScript guest (portable); kvm runs the
                      machine-code guest on KVM vCPUs (desktop, fullframe, hostile; needs
                      /dev/kvm); auto uses KVM where it can (default ts)
${ENGINE_HELP}
  --input             give every display a virtio-input keyboard and tablet (docs/virtio.md): VNC
                      and browser clients' keys and pointer go to them (see --view-only); on
                      by itself for --workload paint
  --input-transport T mmio | pci: the input devices' virtio transport: virtio-mmio windows with
                      level lines, or modern virtio-pci functions with MSI (default: as --variant)
  --input-interrupts I msix | intx: with --input-transport pci, how the guest takes the devices'
                      interrupts: MSI-X (default), or INTx with MSI-X left off (docs/input.md)
  --snapshot FILE     once the frames are done, write display 0 of device 0 as a PNG (cursor included)
  --save FILE         save the machine to a snapshot file (pvg-vmm restore FILE brings it back;
                      docs/snapshots.md), then run on
  --save-at FRAMES    when to save: once every guest has finished FRAMES frames (default 0: before
                      the guest starts); at most --frames
  --json              print one JSON object instead of the summary: the summary's figures, every
                      counter of every actor, and each vCPU's MMIO read latency histogram
${OUTPUT_HELP}
  --control PATH      open a control socket at PATH (owner-only; JSON lines in QMP's shape): stats,
                      snapshot, pause, resume, reset, save, stop from another program
                      (docs/control.md); a stale socket there is replaced, anything else refused
  --status            show the live status line (frames/s, MMIO read latency, interrupts/s,
                      deepest mailbox) on stderr even when it is not a terminal
  --quiet             no status line (by default there is one when stderr is a terminal)
  -h, --help          this text

signals while it runs:
  SIGTSTP (Ctrl-Z)    pause the machine (every vCPU stopped, nothing in flight), not the process
  SIGCONT             resume it
  SIGUSR2             system reset: every device powers on, the guest starts again from its entry
  SIGINT, SIGTERM     stop

workloads:
${WORKLOAD_NAMES.map((n) => `  ${n.padEnd(10)} ${WORKLOADS[n]!.description}`).join('\n')}`;

/** paint's frames without --frames: the most --frames takes, so it reacts to input until stopped. */
const PAINT_FRAMES = 1e9;

/** The status line: 'auto' shows it when stderr is a terminal. */
export type StatusMode = 'auto' | 'on' | 'off';

/** What drive() needs besides the VM: the outputs, how to end, what to write. */
export interface DriveArgs {
  exit: boolean;
  snapshot: string | null;
  /** Open a control socket here (docs/control.md; null: none). */
  control: string | null;
  outputs: OutputOptions;
  status: StatusMode;
  json: boolean;
}

export interface RunArgs {
  options: VmOptions;
  /** Save a snapshot here (null: none)... */
  save: string | null;
  /** ...once every guest finished this many frames (0: before the guest starts). */
  saveAt: number;
  exit: boolean;
  snapshot: string | null;
  control: string | null;
  outputs: OutputOptions;
  status: StatusMode;
  json: boolean;
}

export function parseRunArgs(argv: string[]): RunArgs | 'help' {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    strict: true,
    options: {
      workload: { type: 'string', default: 'desktop' },
      frames: { type: 'string' },
      exit: { type: 'boolean', default: false },
      variant: { type: 'string', default: 'mmio' },
      devices: { type: 'string', default: '1' },
      vcpus: { type: 'string' },
      displays: { type: 'string', default: '1' },
      modes: { type: 'string' },
      mode: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      damage: { type: 'string', default: '100' },
      'write-window': { type: 'string' },
      'compositor-shards': { type: 'string' },
      profile: { type: 'string' },
      pacing: { type: 'string' },
      threading: { type: 'string', default: 'actor' },
      cpu: { type: 'string', default: 'ts' },
      ...ENGINE_OPTION,
      snapshot: { type: 'string' },
      input: { type: 'boolean', default: false },
      'input-transport': { type: 'string' },
      'input-interrupts': { type: 'string' },
      control: { type: 'string' },
      save: { type: 'string' },
      'save-at': { type: 'string' },
      json: { type: 'boolean', default: false },
      ...OUTPUT_FLAGS,
      status: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
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
  const inputTransport = values['input-transport'] ?? values.variant;
  if (inputTransport !== 'mmio' && inputTransport !== 'pci') throw new UsageError(`--input-transport must be mmio or pci, got "${inputTransport}"`);
  const inputInterrupts = values['input-interrupts'] ?? 'msix';
  if (inputInterrupts !== 'msix' && inputInterrupts !== 'intx') throw new UsageError(`--input-interrupts must be msix or intx, got "${inputInterrupts}"`);
  if (inputInterrupts === 'intx' && inputTransport !== 'pci')
    throw new UsageError('--input-interrupts intx needs the virtio-pci transport (--input-transport pci)');
  if (values.snapshot !== undefined) outputFileFlag('--snapshot', values.snapshot);
  if (values.control !== undefined && values.control.trim() === '') throw new UsageError('--control needs a path');
  if (values.save !== undefined) outputFileFlag('--save', values.save);
  const frames = values.frames !== undefined ? integerFlag('--frames', values.frames, 0, 1e9) : values.workload === 'paint' ? PAINT_FRAMES : 300;
  const saveAt = values['save-at'] === undefined ? 0 : integerFlag('--save-at', values['save-at'], 0, 1e9);
  if (values['save-at'] !== undefined && values.save === undefined) throw new UsageError('--save-at needs --save FILE');
  const outputs = parseOutputFlags(values, devices * device.displays);
  if (values.status && values.quiet) throw new UsageError('--status and --quiet contradict each other');
  if (saveAt > frames) throw new UsageError(`--save-at ${saveAt} is past the workload's ${frames} frames`);
  return {
    outputs,
    // --json keeps stdout to the one object; the status line (stderr) only when asked for.
    status: values.status ? 'on' : values.quiet || values.json ? 'off' : 'auto',
    json: values.json,
    exit: values.exit,
    snapshot: values.snapshot ?? null,
    control: values.control ?? null,
    save: values.save ?? null,
    saveAt,
    options: {
      // A save starts the VM paused: it saves before the guest starts, or holds it at --save-at.
      ...(values.save !== undefined ? { start: 'paused' as const } : {}),
      devices: Array.from({ length: devices }, () => ({ ...device })),
      ...(values.vcpus !== undefined ? { vcpus: integerFlag('--vcpus', values.vcpus, 1, 64) } : {}),
      ...(values['write-window'] !== undefined ? { writeWindow: integerFlag('--write-window', values['write-window'], 0, 256) } : {}),
      ...(values['compositor-shards'] !== undefined ? { compositorShards: integerFlag('--compositor-shards', values['compositor-shards'], 1, devices) } : {}),
      ...profileOptions(values),
      threading: threadingFlag(values.threading),
      cpu: cpuFlag(values.cpu),
      engine: engineFlag(values.engine),
      // paint is nothing without input: it gets the devices without being asked.
      ...(values.input || values.workload === 'paint' ? { input: true, inputTransport, ...(inputInterrupts === 'intx' ? { inputInterrupts } : {}) } : {}),
      workload: {
        name: values.workload,
        frames,
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
  if (parsed.save) {
    try {
      // Held once every guest finished --save-at frames (asked before they start, so none runs past it).
      const held = parsed.saveAt > 0 ? vm.pauseAtFrame(parsed.saveAt) : null;
      if (held) await Promise.all([held, vm.resume()]);
      const report = await vm.saveSnapshot(parsed.save);
      process.stderr.write(`pvg-vmm: saved ${report.bytes} bytes to ${parsed.save} (pvg-vmm restore ${parsed.save} runs it)\n`);
      await vm.resume();
    } catch (err) {
      await vm.stop();
      throw new CliError(`cannot save ${parsed.save}: ${(err as Error).message}`);
    }
  }
  return drive(vm, parsed, started);
}

/** Runs a VM that is up (created or restored) to the end of its workload, and prints the summary; the exit status. */
export async function drive(vm: Vm, parsed: DriveArgs, started: number): Promise<number> {
  let failure: Error | null = null;
  const showStatus = parsed.status === 'on' || (parsed.status === 'auto' && process.stderr.isTTY === true);
  const status = showStatus ? new StatusTicker(() => vm.stats(), process.stderr) : null;
  // Every other stderr line clears the status line first, so the two never share a line.
  const say = (line: string) => {
    status?.clear();
    process.stderr.write(`pvg-vmm: ${line}\n`);
  };
  if (vm.cpu.fallback) say(`--cpu auto: running the TypeScript guest (${vm.cpu.fallback})`);
  if (vm.engine.fallback) say(`--engine auto: drawing with the soft backend (${vm.engine.fallback})`);
  try {
    await startOutputs(vm, parsed.outputs, say);
  } catch (err) {
    await vm.stop();
    throw new CliError(`cannot start the outputs: ${(err as Error).message}`);
  }
  const failed = vm.whenFailed().then((f) => (failure = f));
  let interrupted = false;
  let stopNow = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    stopNow = () => {
      interrupted = true;
      resolve();
    };
    process.once('SIGINT', stopNow);
    process.once('SIGTERM', stopNow);
  });
  if (parsed.control) {
    try {
      // `stop` on the socket stops the run as Ctrl-C does: summary, then vm.stop().
      const { path } = await vm.startControl(parsed.control, { onStop: () => stopNow() });
      say(`control socket: ${path}`);
    } catch (err) {
      await vm.stop();
      throw new CliError(`cannot open the control socket: ${(err as Error).message}`);
    }
  }
  const lifecycleSignals = handleLifecycleSignals(vm, say);
  status?.start();
  let drawn: number;
  let snapshotError: string | null = null;
  try {
    await Promise.race([vm.whenGuestsDone(), failed, stopSignal]);
    drawn = performance.now() - started;
    // The guests are done; let the compositor take their last frames, so the summary (and a
    // snapshot) shows all of them, not what it had got to when the last fence came back.
    let settled = false;
    if (!failure && !interrupted) {
      try {
        await vm.settle(SETTLE_TIMEOUT_MS);
        settled = true;
      } catch (err) {
        say(`the display did not settle (${(err as Error).message}): the summary shows the frames it had`);
      }
    }
    if (parsed.snapshot && !failure && !interrupted) {
      try {
        if (!settled) throw new Error('the display did not settle');
        await vm.snapshot(parsed.snapshot);
        say(`snapshot written to ${parsed.snapshot}`);
      } catch (err) {
        // Say so and still stop the VM: a thrown error here would leave its threads running.
        snapshotError = `cannot write the snapshot ${parsed.snapshot}: ${(err as Error).message}`;
      }
    }
    if (!parsed.exit && !failure && !interrupted && !snapshotError) {
      say('the guest finished its frames; the VM keeps running (Ctrl-C stops it)');
      await Promise.race([failed, stopSignal]);
    }
  } finally {
    lifecycleSignals.remove();
    // Before the summary's stats and vm.stop(): no poll is left to race them, and the line is gone.
    await status?.stop();
    await lifecycleSignals.settled();
  }
  let summary = '';
  if (!failure) {
    const stats = await vm.stats();
    summary = parsed.json ? JSON.stringify(runReport(stats, drawn, vm.restoredAtFrames)) : summarize(stats, drawn, vm.restoredAtFrames);
  }
  await vm.stop();
  if (summary) console.log(summary);
  if (failure) {
    console.error(`pvg-vmm: host fault: ${(failure as Error).message}`);
    return 1;
  }
  if (snapshotError) {
    console.error(`pvg-vmm: ${snapshotError}`);
    return 1;
  }
  return 0;
}

/**
 * SIGTSTP (Ctrl-Z): vm.pause(); SIGCONT: vm.resume(); SIGUSR2: vm.reset(). Each says on stderr
 * what it did. A lifecycle timeout fails the VM, which the run then reports as a host fault.
 * (SIGUSR1 is Node's: it starts the inspector.)
 */
function handleLifecycleSignals(vm: Vm, say: (line: string) => void): { remove(): void; settled(): Promise<void> } {
  let last: Promise<void> = Promise.resolve();
  const act = (what: () => Promise<string | null>) => {
    last = last
      .then(what)
      .then((line) => {
        if (line !== null) say(line);
      })
      .catch((err: unknown) => say(`${(err as Error).message}`));
  };
  const onPause = () =>
    act(async () => {
      const report = await vm.pause();
      return report ? `paused in ${(report.quiescentUs / 1000).toFixed(1)} ms (SIGCONT resumes)` : null;
    });
  const onResume = () =>
    act(async () => {
      if (!vm.paused) return null;
      await vm.resume();
      return 'resumed';
    });
  const onReset = () =>
    act(async () => {
      await vm.reset();
      return `reset: the guest starts again from its entry${vm.paused ? ' (still paused)' : ''}`;
    });
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGTSTP', onPause],
    ['SIGCONT', onResume],
    ['SIGUSR2', onReset],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return {
    remove() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
    settled: () => last,
  };
}
