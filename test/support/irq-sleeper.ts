// A halted vCPU for the VcpuIrqState tests: sleeps once in waitForInterrupt, then reports the
// outcome and the vector it took (-1 for none).
import { parentPort, workerData } from 'node:worker_threads';

import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';

interface SleeperData {
  state: SharedArrayBuffer;
  timeoutMs: number;
  spinBudget: number;
}

const data = workerData as SleeperData;
const state = new VcpuIrqState(data.state);
const start = performance.now();
const outcome = state.waitForInterrupt(data.timeoutMs, data.spinBudget);
parentPort!.postMessage({ outcome, vector: state.takeHighest(), waitedMs: performance.now() - start });
