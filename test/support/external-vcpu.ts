// An embedder-style vCPU loop on its own thread (connectVcpu), running one of a few MMIO
// exercises against a running VM and reporting the result.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { Reg } from '../../actors/vcpu/guest/protocol.js';
import { Rng } from '../../actors/vcpu/guest/rng.js';
import { mmioGfxBase } from '../../actors/vcpu/layout.js';

interface Data {
  config: ExternalVcpuConfig;
  exercise: 'ordering' | 'hammer';
  iterations: number;
  seed: number;
}

const { config, exercise, iterations, seed } = workerData as Data;
const cpu = connectVcpu(config);
const gfx = mmioGfxBase(0);
const rng = new Rng(seed);
let mismatches = 0;
const t0 = performance.now();
if (exercise === 'ordering') {
  // A read after posted writes observes them: write IRQ_MASK (only bits 0-2 stick), read it back.
  for (let i = 0; i < iterations; i++) {
    const writes = 1 + rng.below(8);
    let expected = 0;
    for (let w = 0; w < writes; w++) {
      expected = rng.below(8);
      cpu.mmioWrite(gfx + Reg.IrqMask, 4, expected);
    }
    if (cpu.mmioRead(gfx + Reg.IrqMask, 4) >>> 0 !== expected) mismatches++;
  }
} else {
  // Many reads of the ID register while the guest's workload makes the engine call back.
  for (let i = 0; i < iterations; i++) if (cpu.mmioRead(gfx + Reg.Id, 4) >>> 0 !== 0x31475650) mismatches++;
}
cpu.bus.drainWrites();
parentPort!.postMessage({ mismatches, ms: performance.now() - t0, bus: cpu.bus.stats() });
