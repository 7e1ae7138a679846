// A worker for the big-lock test: increments a plain (non-atomic) counter under the lock many
// times, with random pauses inside and outside, so a lock that lets two holders in loses counts.
import { parentPort, workerData } from 'node:worker_threads';

import { BigLock } from '../../shared/lock/big-lock.js';

const {
  lock: sab,
  counter,
  start,
  iterations,
  seed,
} = workerData as { lock: SharedArrayBuffer; counter: SharedArrayBuffer; start: SharedArrayBuffer; iterations: number; seed: number };
const lock = new BigLock(sab);
const plain = new Int32Array(counter);
let rng = seed >>> 0 || 1;
const next = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0), rng);

// Start together, so the threads really overlap.
parentPort!.postMessage('ready');
Atomics.wait(new Int32Array(start), 0, 0);
for (let i = 0; i < iterations; i++) {
  lock.lock();
  const v = plain[0]!;
  if ((next() & 31) === 0) for (let spin = next() & 1023; spin > 0; spin--); // hold it a while
  plain[0] = v + 1;
  lock.unlock();
  if ((next() & 7) === 0) for (let spin = next() & 255; spin > 0; spin--);
}
parentPort!.postMessage('done');
