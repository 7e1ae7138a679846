// The one vCPU thread of the concurrent-delivery test: halts, takes every pending vector and
// counts it in a shared table (word v: takes of vector v; word 256: progress, notified after
// each drain so handshaking deliverers can wait for it). Leaves on a stop request, after a
// last drain.
import { parentPort, workerData } from 'node:worker_threads';

import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';

interface TakerData {
  state: SharedArrayBuffer;
  takes: SharedArrayBuffer;
  spinBudget: number;
}

const PROGRESS_WORD = 256;

const data = workerData as TakerData;
const state = new VcpuIrqState(data.state);
const takes = new Int32Array(data.takes);
let halts = 0;
for (;;) {
  const outcome = state.waitForInterrupt(-1, data.spinBudget);
  halts++;
  for (let v = state.takeHighest(); v >= 0; v = state.takeHighest()) Atomics.add(takes, v, 1);
  Atomics.add(takes, PROGRESS_WORD, 1);
  Atomics.notify(takes, PROGRESS_WORD);
  if (outcome === 'stopped') break;
}
parentPort!.postMessage({ halts });
