// The embedder's vCPU thread (own-vcpu.mjs starts it): it may block, so it is a worker thread.
// connectVcpu gives mmioRead/mmioWrite and the interrupt state; GuestProgram is the built-in
// guest driver, stepped here until its workload is done.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, GuestProgram } from 'pvg-vmm';

const { vcpu, frames } = workerData;
const cpu = connectVcpu(vcpu);
// The guest allocates its buffers from guest RAM: give it the whole RAM region.
const ram = vcpu.memory.regions.find((r) => r.name === 'ram');
const program = new GuestProgram(cpu, {
  device: 0,
  variant: 'apple-gfx-mmio',
  workload: 'desktop',
  frames,
  seed: 1,
  mode: 0,
  ramBase: ram.base,
  ramEnd: ram.base + ram.size,
});
try {
  while (program.step() !== 'done');
  cpu.bus.drainWrites();
  parentPort.postMessage({ ok: true, stats: program.stats(), bus: cpu.bus.stats() });
} catch (e) {
  parentPort.postMessage({ ok: false, error: e.message });
}
