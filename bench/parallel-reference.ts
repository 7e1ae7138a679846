// How far this machine lets N busy threads scale, with nothing of the VMM in the way: N worker
// threads run one fixed kernel each (bench/workers/parallel-kernel.ts) through a warm-up and a
// measured window, and the aggregate iterations/s against N × one thread's is the machine's own
// efficiency at N. A virtual machine's vCPUs may be hyperthreads of fewer cores, or share a
// host with others; `bench scaling` reports this beside its figures so a device count's
// efficiency can be read against what the machine gives any N threads.
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../shared/package-root.js';

/** alu: integer arithmetic in the first-level cache; copy: a 640x480 frame copied each iteration. */
export type KernelName = 'alu' | 'copy';
export const KERNELS: readonly KernelName[] = ['alu', 'copy'];

export interface ParallelKernelData {
  kernel: KernelName;
  index: number;
  control: SharedArrayBuffer;
}

/** Where the control words are: the phase every thread follows and the ready count (then one count per thread). */
export const ControlWord = { phase: 0, ready: 1 } as const;

/** The phase word's values. */
export const Phase = {
  wait: 0,
  warm: 1,
  measure: 2,
  stop: 3,
} as const;

/** Each thread's count on its own cache line (16 words apart). */
export function countSlot(index: number): number {
  return 16 * (index + 1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Iterations per second of each of `threads` threads running `kernel` together. */
export async function kernelRates(kernel: KernelName, threads: number, measureMs: number, warmupMs: number): Promise<number[]> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const control = new Int32Array(new SharedArrayBuffer(4 * countSlot(threads)));
  const workers = Array.from(
    { length: threads },
    (_, index) =>
      new Worker(compiledModuleUrl('bench/workers/parallel-kernel'), { workerData: { kernel, index, control: control.buffer } satisfies ParallelKernelData }),
  );
  const exited = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.once('error', reject);
        w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`parallel-kernel thread exited with ${code}`))));
      }),
  );
  const setPhase = (phase: number) => {
    Atomics.store(control, ControlWord.phase, phase);
    Atomics.notify(control, ControlWord.phase);
  };
  try {
    // Every thread started (module loaded) before any runs: a late starter would miss the window.
    while (Atomics.load(control, ControlWord.ready) < threads) await Promise.race([sleep(5), ...exited]);
    setPhase(Phase.warm);
    await sleep(warmupMs);
    setPhase(Phase.measure);
    const t0 = performance.now();
    await sleep(measureMs);
    // Counting stops when a thread next sees the word: within one iteration (≤ ~1 ms) of here.
    setPhase(Phase.stop);
    const elapsed = performance.now() - t0;
    await Promise.all(exited);
    return workers.map((_, i) => (Atomics.load(control, countSlot(i)) * 1000) / elapsed);
  } finally {
    setPhase(Phase.stop);
    await Promise.allSettled(workers.map((w) => w.terminate()));
  }
}

/** Aggregate iterations/s of `threads` threads running `kernel` together. */
export async function aggregateRate(kernel: KernelName, threads: number, measureMs: number, warmupMs: number): Promise<number> {
  return (await kernelRates(kernel, threads, measureMs, warmupMs)).reduce((a, b) => a + b, 0);
}
