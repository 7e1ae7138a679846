// Helpers the tests share: start a compiled support worker and wait for its messages.
import { Worker } from 'node:worker_threads';

import { compiledModuleUrl } from '../../shared/package-root.js';

const exits = new WeakMap<Worker, Promise<number>>();
/** Messages not yet taken by nextMessage, and whether the worker has exited: a test that asks
 *  late (after awaiting something else) must still get a message the worker already sent. */
const inboxes = new WeakMap<Worker, { messages: unknown[]; exitCode: number | null }>();

export function startWorker(module: string, workerData: unknown): Worker {
  const worker = new Worker(compiledModuleUrl(module), { workerData });
  // Listen from the start: a message or exit that happens before anyone asks must not be missed.
  const inbox = { messages: [] as unknown[], exitCode: null as number | null };
  inboxes.set(worker, inbox);
  worker.on('message', (m) => inbox.messages.push(m));
  exits.set(
    worker,
    new Promise((resolve) =>
      worker.once('exit', (code) => {
        inbox.exitCode = code;
        resolve(code);
      }),
    ),
  );
  return worker;
}

/** The next message from a worker that satisfies `match`, including one sent before the call
 *  (rejects if the worker errors or exits first). Each message is taken at most once. */
export function nextMessage<T>(worker: Worker, match: (m: T) => boolean = () => true): Promise<T> {
  const inbox = inboxes.get(worker);
  if (!inbox) throw new Error('nextMessage() needs a worker started by startWorker()');
  return new Promise((resolve, reject) => {
    const takeFromInbox = (): boolean => {
      const at = inbox.messages.findIndex((m) => match(m as T));
      if (at < 0) return false;
      const [m] = inbox.messages.splice(at, 1);
      resolve(m as T);
      return true;
    };
    if (takeFromInbox()) return;
    if (inbox.exitCode !== null) {
      reject(new Error(`worker exited with ${inbox.exitCode} before answering`));
      return;
    }
    // The inbox listener was attached first, so it has already stored the message this sees.
    const onMessage = () => {
      if (takeFromInbox()) cleanup();
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      if (!takeFromInbox()) reject(new Error(`worker exited with ${code} before answering`));
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
