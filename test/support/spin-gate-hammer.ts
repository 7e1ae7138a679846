// Test worker: takes and gives back places at a spin gate many times, at random paces, and
// records in a shared counter how many places were held at once at most.
import { parentPort, workerData } from 'node:worker_threads';

import { enterSpin, installSpinGate, leaveSpin } from '../../shared/doorbell/spin-gate.js';

const { gate, inside, rounds } = workerData as { gate: SharedArrayBuffer; inside: SharedArrayBuffer; rounds: number };
installSpinGate(gate);
const counter = new Int32Array(inside); // [held now, most held at once]
for (let i = 0; i < rounds; i++) {
  if (!enterSpin()) continue;
  const now = Atomics.add(counter, 0, 1) + 1;
  for (let seen = Atomics.load(counter, 1); now > seen; seen = Atomics.load(counter, 1)) {
    if (Atomics.compareExchange(counter, 1, seen, now) === seen) break;
  }
  for (let k = Math.floor(Math.random() * 64); k > 0; k--) Atomics.load(counter, 0);
  Atomics.sub(counter, 0, 1);
  leaveSpin();
}
parentPort!.postMessage('done');
