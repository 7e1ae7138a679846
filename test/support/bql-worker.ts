// A worker for the BQL test. As a 'vcpu' it takes the lock, bumps a plain (non-atomic) counter,
// waits a random while in AIO_WAIT_WHILE lending the lock to bottom halves that ask, bumps it
// again and lets go; as a 'bh' it gets the lock as a bottom half (taken or lent) and bumps the
// counter. Two holders at once lose counts. It reports what it saw so the test can check the
// lock's own accounting against the sum.
import { parentPort, threadId, workerData } from 'node:worker_threads';

import { Bql } from '../../shared/lock/bql.js';

const {
  lock: sab,
  counter,
  start,
  iterations,
  seed,
  role,
  done,
} = workerData as {
  lock: SharedArrayBuffer;
  counter: SharedArrayBuffer;
  start: SharedArrayBuffer;
  iterations: number;
  seed: number;
  role: 'vcpu' | 'bh' | 'parked-vcpu';
  /** parked-vcpu: the word it waits on in AIO_WAIT_WHILE, which the test sets when the BHs finished. */
  done?: SharedArrayBuffer;
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
/** A parked-vcpu's park that slept its whole timeout: a BH's request did not wake it. */
const PARK_TIMEOUT_MS = 2000;
let sleptThrough = 0;

// One MMIO access that never completes until the test says so: the vCPU takes the BQL before the
// BHs start and holds it the whole time, asleep in aioPark, so every BH must be lent the lock, each
// woken by its request.
const t0 = performance.now();
if (role === 'parked-vcpu') {
  waitedMs += bql.lock(tag);
  bql.aioEnter();
}
parentPort!.postMessage('ready');
Atomics.wait(new Int32Array(start), 0, 0);
if (role === 'parked-vcpu') {
  const doneWord = new Int32Array(done!);
  while (Atomics.load(doneWord, 0) === 0) {
    if (bql.serveLend()) {
      lentFromHere++;
      continue;
    }
    const parked = performance.now();
    bql.aioPark(doneWord, 0, 0, PARK_TIMEOUT_MS);
    if (performance.now() - parked >= PARK_TIMEOUT_MS && Atomics.load(doneWord, 0) === 0) sleptThrough++;
  }
  bql.aioLeave(performance.now() - t0, () => lentFromHere++);
  bql.unlock();
}
for (let i = 0; role !== 'parked-vcpu' && i < iterations; i++) {
  if (role === 'vcpu') {
    waitedMs += bql.lock(tag);
    bump();
    bql.aioEnter();
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
parentPort!.postMessage({ waitedMs, lent, lentFromHere, sleptThrough });
