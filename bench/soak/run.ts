// The soak loop: one VM, mixed workloads back to back on every device (each round one workload,
// `chunk` frames per device, a new seed and start mode each round), memory sampled every
// `every` frames after the frames settled and (with --expose-gc) a gc of the main thread.
import type { Worker } from 'node:worker_threads';

import type { CpuBackendName } from '../../actors/vcpu/kvm/availability.js';
import type { DeviceOptions } from '../../vmm/config.js';
import { Vm } from '../../vmm/vm.js';
import { nativeTesting } from '../native-testing.js';
import type { SoakSample } from './analyze.js';

export interface SoakOptions {
  /** Guest frames in total, summed over the devices. */
  frames: number;
  /** Sample every this many frames. */
  every: number;
  /** Frames per device per round (one workload run). */
  chunk: number;
  devices: number;
  workloads: string[];
  modes: string[];
  /** The vCPUs: the TypeScript guest, or the machine-code guest on KVM vCPUs. */
  cpu: CpuBackendName;
  /** Collect every worker's garbage before each sample (see collectWorkers). */
  workerGc: boolean;
}

export interface SoakRound {
  workload: string;
  /** Frames each device drew in this round. */
  frames: number;
  mode: number;
  damagePercent: number;
}

export interface SoakRun {
  samples: SoakSample[];
  rounds: SoakRound[];
  /** Rounds per workload. */
  workloadRounds: Record<string, number>;
  framesDone: number;
  elapsedMs: number;
  /** Stopped early by Ctrl-C. */
  interrupted: boolean;
  /** A host fault (an actor died) or a guest that faulted: the soak stops there. */
  fault: string | null;
  nativeHeap: boolean;
  gc: boolean;
}

export interface SoakHooks {
  onSample?(sample: SoakSample): void;
  /** Polled between rounds: true stops the soak after the round under way. */
  stopRequested?(): boolean;
}

const BAND_DAMAGE = [100, 25, 5, 1];

type Gc = () => void;
const gc = (globalThis as { gc?: Gc }).gc;

async function collect(): Promise<void> {
  if (!gc) return;
  // Twice, with a turn of the event loop between: finalizers of the first pass free more.
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

/**
 * A full garbage collection in every actor's worker: a heap snapshot starts with one (Node 20
 * has no other way to collect another thread's heap from outside). Buffers a worker dropped
 * (before docs/hardening.md finding 3 was fixed: the compositor's frame store of an old mode,
 * 8 MiB at 1080p) stay allocated until that worker's V8 collects, which a worker with a small
 * JS heap may put off for hundreds of MiB: without this, garbage waiting there reads as growth.
 * The Supervisor keeps its workers private; the soak reaches them the way a debugger would.
 */
async function collectWorkers(vm: Vm): Promise<void> {
  const actors = (vm.supervisor as unknown as { actors: Map<string, { handle: { worker: Worker } }> }).actors;
  for (const name of vm.supervisor.liveActors()) {
    const worker = actors.get(name)?.handle.worker;
    if (!worker) continue;
    const snapshot = await worker.getHeapSnapshot();
    // Read to the end and dropped: destroying the stream unread crashes Node 20 at exit.
    for await (const chunk of snapshot) void chunk;
  }
}

export function soakDevices(count: number, modes: string[]): DeviceOptions[] {
  // Both variants, alternating: apple-gfx-mmio, apple-gfx-pci, …
  return Array.from({ length: count }, (_, i) => ({ variant: i % 2 === 0 ? 'mmio' : 'pci', displayModes: modes }));
}

export async function runSoak(options: SoakOptions, hooks: SoakHooks = {}): Promise<SoakRun> {
  // The testing addon's (a checkout's): the soak is a debugging aid, not the package's API.
  const { heapStats } = nativeTesting();
  const vm = await Vm.create({ cpu: options.cpu, ramMiB: 64 * options.devices + 64, devices: soakDevices(options.devices, options.modes), workload: null });
  const run: SoakRun = {
    samples: [],
    rounds: [],
    workloadRounds: {},
    framesDone: 0,
    elapsedMs: 0,
    interrupted: false,
    fault: null,
    nativeHeap: heapStats() !== null,
    gc: gc !== undefined,
  };
  const t0 = performance.now();
  let last = { frames: 0, at: t0 };

  const sample = async (): Promise<void> => {
    // Let the last frames land in the compositor, so every sample sees the VM at rest.
    await vm.settle(10_000).catch(() => undefined);
    const stats = await vm.stats();
    await collect();
    const held = { rss: process.memoryUsage().rss, native: heapStats()?.allocatedBytes ?? null };
    if (options.workerGc) {
      await collectWorkers(vm);
      await collect(); // the snapshots' chunks, read on this thread
    }
    // Freed memory back to the system, so RSS shows what is live, not the last garbage peak.
    const heap = heapStats(options.workerGc);
    const mem = process.memoryUsage();
    const now = performance.now();
    const s: SoakSample = {
      frames: run.framesDone,
      elapsedMs: now - t0,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      externalBytes: mem.external,
      arrayBuffersBytes: mem.arrayBuffers,
      nativeBytes: heap?.allocatedBytes ?? null,
      heldRssBytes: held.rss,
      heldNativeBytes: held.native,
      fps: now > last.at ? ((run.framesDone - last.frames) * 1000) / (now - last.at) : 0,
      tasks: stats.devices.reduce((n, d) => n + d.tasks.tasks, 0),
      mappings: stats.devices.reduce((n, d) => n + d.tasks.mappings, 0),
      guestErrors: stats.devices.reduce((n, d) => n + (d.engine?.errors.reduce((a, b) => a + b, 0) ?? 0), 0),
    };
    last = { frames: run.framesDone, at: performance.now() };
    run.samples.push(s);
    hooks.onSample?.(s);
  };

  try {
    await sample();
    let nextSample = options.every;
    for (let round = 0; run.framesDone < options.frames; round++) {
      if (hooks.stopRequested?.()) {
        run.interrupted = true;
        break;
      }
      const workload = options.workloads[round % options.workloads.length]!;
      const frames = Math.min(options.chunk, Math.ceil((options.frames - run.framesDone) / options.devices));
      const mode = Math.floor(round / options.workloads.length) % options.modes.length;
      const damagePercent = BAND_DAMAGE[Math.floor(round / options.workloads.length) % BAND_DAMAGE.length]!;
      await vm.runWorkload({ name: workload, frames, seed: round + 1, mode, damagePercent });
      const guests = await vm.whenGuestsDone();
      const faulted = guests.find((g) => g.state === 'faulted');
      if (faulted) {
        run.fault = `vcpu${faulted.vcpu} faulted in ${workload} (round ${round}): ${faulted.fault}`;
        break;
      }
      run.rounds.push({ workload, frames, mode, damagePercent });
      run.workloadRounds[workload] = (run.workloadRounds[workload] ?? 0) + 1;
      run.framesDone += frames * options.devices;
      if (run.framesDone >= nextSample || run.framesDone >= options.frames) {
        await sample();
        while (nextSample <= run.framesDone) nextSample += options.every;
      }
    }
    if (run.interrupted && run.samples.at(-1)!.frames !== run.framesDone) await sample();
  } catch (err) {
    // An actor died (the control plane reports VmStoppedError): a host fault.
    const failure = vm.supervisor.failed;
    run.fault = failure ? `${failure.name}: ${failure.message}` : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } finally {
    run.elapsedMs = performance.now() - t0;
    await vm.stop();
  }
  return run;
}
