// A worker for the BQL test. As a 'vcpu' it takes the lock, bumps a plain (non-atomic) counter,
// waits a random while in AIO_WAIT_WHILE lending the lock to bottom halves that ask, bumps it
// again and lets go; as a 'bh' it gets the lock as a bottom half (taken or lent) and bumps the
// counter. Two holders at once lose counts. It reports what it saw so the test can check the
// lock's own accounting against the sum.
import { parentPort, threadId, workerData } from 'node:worker_threads';

import { Bql, WakeWhere } from '../../shared/lock/bql.js';

const {
  lock: sab,
  counter,
  start,
  iterations,
  seed,
  role,
} = workerData as {
  lock: SharedArrayBuffer;
  counter: SharedArrayBuffer;
  start: SharedArrayBuffer;
  iterations: number;
  seed: number;
  role: 'vcpu' | 'bh';
};
const bql = new Bql(sab);
const tag = threadId + 1;
const plain = new Int32Array(counter);
let rng = seed >>> 0 || 1;
const next = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0), rng);
const bump = () => {
  const v = plain[0]!;
  if ((next() & 15) === 0) for (let spin = next() & 1023; spin > 0; spin--); // hold it a while
  plain[0] = v + 1;
};

let waitedMs = 0;
let lent = 0;
let lentFromHere = 0;
parentPort!.postMessage('ready');
Atomics.wait(new Int32Array(start), 0, 0);
for (let i = 0; i < iterations; i++) {
  if (role === 'vcpu') {
    waitedMs += bql.lock(tag);
    bump();
    bql.aioEnter(WakeWhere.None, 0);
    const t0 = performance.now();
    const until = t0 + (next() % 200) / 1000; // up to 200 µs "waiting for the device"
    while (performance.now() < until) if (bql.serveLend()) lentFromHere++;
    bql.aioLeave(performance.now() - t0, () => lentFromHere++);
    bump();
    bql.unlock();
  } else {
    const { entry, waitedMs: w } = bql.bhEnter(tag);
    waitedMs += w;
    if (entry === 'lent') lent++;
    bump();
    bql.bhExit(entry);
  }
  if ((next() & 7) === 0) for (let spin = next() & 255; spin > 0; spin--);
}
parentPort!.postMessage({ waitedMs, lent, lentFromHere });
