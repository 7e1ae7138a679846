// One thread of the interrupt-table concurrency test. role 'source': pulses its edge line and
// sends MSIs `rounds` times with random pauses; role 'masker': masks and unmasks the lines at
// random until told to stop, then leaves them unmasked; role 'vcpu': halts, takes each pending
// vector and EOIs it in the table (as the vCPU's EoiPort does), until a stop request.
import { parentPort, workerData } from 'node:worker_threads';

import { InterruptTable } from '../../shared/irq/interrupt-table.js';
import { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';

interface SourceData {
  role: 'source' | 'masker' | 'vcpu';
  table: SharedArrayBuffer;
  vcpus: SharedArrayBuffer[];
  line: number;
  msiVector: number;
  rounds: number;
  seed: number;
  /** Word 0: set to 1 when the masker must stop. */
  control: SharedArrayBuffer;
}

const d = workerData as SourceData;
const states = d.vcpus.map((b) => new VcpuIrqState(b));
const table = new InterruptTable(d.table, states);
let seed = d.seed >>> 0;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const pause = () => {
  if (random() < 0.1) {
    const until = performance.now() + random() * 0.05;
    while (performance.now() < until);
  }
};

if (d.role === 'source') {
  for (let i = 0; i < d.rounds; i++) {
    table.pulseEdge(d.line);
    pause();
    table.msi(0xfee00000, d.msiVector);
    pause();
  }
  parentPort!.postMessage({ done: true });
} else if (d.role === 'masker') {
  const control = new Int32Array(d.control);
  let toggles = 0;
  while (Atomics.load(control, 0) === 0) {
    const line = Math.floor(random() * table.lineCount);
    table.setMask(table.lineAt(line), line, random() < 0.5);
    toggles++;
    pause();
  }
  for (let line = 0; line < table.lineCount; line++) table.setMask(table.lineAt(line), line, false);
  parentPort!.postMessage({ toggles });
} else {
  const cpu = states[0]!;
  const taken: Record<number, number> = {};
  for (;;) {
    const outcome = cpu.waitForInterrupt(-1, 0);
    for (let v = cpu.takeHighest(); v >= 0; v = cpu.takeHighest()) {
      taken[v] = (taken[v] ?? 0) + 1;
      pause();
      table.eoi(0, v);
    }
    if (outcome === 'stopped') break;
  }
  parentPort!.postMessage({ taken });
}
