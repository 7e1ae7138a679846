// An embedder bringing its own vCPU: a VM with no built-in vCPU and one external vCPU, run by a
// thread of ours (own-vcpu-worker.mjs) through connectVcpu — the same MMIO bus and interrupt
// controller a built-in vCPU uses. Here that thread runs the built-in guest driver
// (GuestProgram); your own loop would issue its own MMIO. Run it: node examples/own-vcpu.mjs
import { Worker } from 'node:worker_threads';

import { Vm } from 'pvg-vmm';

const vm = await Vm.create({ ramMiB: 32, vcpus: 0, externalVcpus: 1, devices: [{ displayModes: ['640x480@60'] }] });
try {
  const worker = new Worker(new URL('./own-vcpu-worker.mjs', import.meta.url), { workerData: { vcpu: vm.externalVcpu(0), frames: 30 } });
  const report = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (!report.ok) throw new Error(`the vCPU thread failed: ${report.error}`);
  await vm.settle();
  const frame = await vm.frame(0, 0);
  console.log(`own vCPU: ${report.stats.framesDone} frames, ${report.stats.interruptsHandled} interrupts handled, ${report.bus.reads} MMIO reads`);
  console.log(`last frame: ${frame.width}x${frame.height}`);
} finally {
  await vm.stop();
}
