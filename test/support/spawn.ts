// Helpers the tests share: start a compiled support worker and wait for its messages.
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../../shared/package-root.js';

const exits = new WeakMap<Worker, Promise<number>>();

export function startWorker(module: string, workerData: unknown): Worker {
  const worker = new Worker(compiledModuleUrl(module), { workerData });
  // Listen from the start: an exit that happens before anyone asks must not be missed.
  exits.set(worker, new Promise((resolve) => worker.once('exit', resolve)));
  return worker;
}

/** The next message from a worker that satisfies `match` (rejects if the worker errors or exits first). */
export function nextMessage<T>(worker: Worker, match: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (!match(m)) return;
      cleanup();
      resolve(m);
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`worker exited with ${code} before answering`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Resolves with the exit code of a worker started by startWorker, even if it already exited. */
export function exited(worker: Worker): Promise<number> {
  const known = exits.get(worker);
  if (!known) throw new Error('exited() needs a worker started by startWorker()');
  return known;
}

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
