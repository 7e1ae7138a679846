// A vCPU for the irq actor tests: halts, takes the highest pending vector, "handles" it and EOIs
// it by posting to the irq actor, and reports each vector it took. A handler rule can lower a
// level line after the n-th take of a vector (as a driver acks its device). Optionally waits at
// a gate first, so the test can queue several interrupts and check the order they are taken in.
import { parentPort, workerData } from 'node:worker_threads';

import { postEoi, postLineLevel } from '../../actors/irq/messages.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import { Mailbox } from '../../shared/mailbox/mailbox.js';

interface VcpuData {
  state: SharedArrayBuffer;
  irq: SharedArrayBuffer;
  vcpu: number;
  /** Int32Array word 0: the vCPU starts when it becomes non-zero. */
  gate: SharedArrayBuffer | null;
  deassert: { vector: number; line: number; after: number }[];
  spinBudget: number;
}

const data = workerData as VcpuData;
const state = new VcpuIrqState(data.state);
const irq = new Mailbox(data.irq, 'irq');
const taken: number[] = [];
const counts: Record<number, number> = {};

if (data.gate) {
  const gate = new Int32Array(data.gate);
  while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0, 100);
}
parentPort!.postMessage({ type: 'running' });
try {
  for (;;) {
    if (state.waitForInterrupt(-1, data.spinBudget) === 'stopped') break;
    for (let v = state.takeHighest(); v >= 0; v = state.takeHighest()) {
      taken.push(v);
      const n = (counts[v] = (counts[v] ?? 0) + 1);
      parentPort!.postMessage({ type: 'took', vector: v });
      const rule = data.deassert.find((r) => r.vector === v);
      if (rule && n >= rule.after) postLineLevel(irq, rule.line, false);
      postEoi(irq, data.vcpu, v);
    }
  }
  parentPort!.postMessage({ type: 'stopped', taken, counts });
} catch (err) {
  parentPort!.postMessage({ type: 'error', message: (err as Error).message, taken, counts });
}
