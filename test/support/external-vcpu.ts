// An embedder-style vCPU loop on its own thread (connectVcpu), running one of a few MMIO
// exercises against a running VM and reporting the result.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { IosfcReg, Reg } from '../../guest/ts/protocol.js';
import { Rng } from '../../guest/ts/rng.js';
import { MMIO_IOSFC_OFFSET, mmioGfxBase } from '../../machine/memory-map.js';

interface Data {
  config: ExternalVcpuConfig;
  exercise: 'ordering' | 'hammer' | 'wide';
  iterations: number;
  seed: number;
}

const { config, exercise, iterations, seed } = workerData as Data;
const cpu = connectVcpu(config);
const gfx = mmioGfxBase(0);
const rng = new Rng(seed);
let mismatches = 0;
const t0 = performance.now();
const wide: Record<string, number[]> = {};
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
} else if (exercise === 'wide') {
  // 8-byte accesses, as a guest may make them: each compared with the two 4-byte accesses it
  // stands for (counted as mismatches), and the halves reported.
  const halves = new Uint32Array(2);
  const read8 = (address: number) => (cpu.mmioReadHalves(address, 8, halves), [halves[0]!, halves[1]!]);
  const read4 = (address: number) => cpu.mmioRead(address, 4) >>> 0;
  const iosfc = gfx + MMIO_IOSFC_OFFSET;
  for (let i = 0; i < iterations; i++) {
    wide.gfxId = read8(gfx + Reg.Id);
    cpu.mmioWriteHalves(gfx + Reg.RingGpaLo, 8, 0x5000 + i * 0x1000, i);
    wide.ringGpa4 = [read4(gfx + Reg.RingGpaLo), read4(gfx + Reg.RingGpaHi)];
    wide.ringGpa8 = read8(gfx + Reg.RingGpaLo);
    if (wide.ringGpa4.join() !== [0x5000 + i * 0x1000, i].join() || wide.ringGpa8.join() !== wide.ringGpa4.join()) mismatches++;
    wide.iosfcId = read8(iosfc + IosfcReg.Id);
    if (wide.iosfcId.join() !== [read4(iosfc + IosfcReg.Id), read4(iosfc + IosfcReg.Status)].join()) mismatches++;
  }
} else {
  // Many reads of the ID register while the guest's workload makes the engine call back.
  for (let i = 0; i < iterations; i++) if (cpu.mmioRead(gfx + Reg.Id, 4) >>> 0 !== 0x31475650) mismatches++;
}
cpu.bus.drainWrites();
parentPort!.postMessage({ mismatches, ms: performance.now() - t0, bus: cpu.bus.stats(), wide });
