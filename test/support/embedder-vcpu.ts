// The example embedder: its own vCPU loop on its own thread, with no built-in vCPU actor. It
// connects to the VM (connectVcpu: MMIO in, interrupts out) and runs one of the built-in guest
// programs on that connection — the same driver code a built-in vCPU runs, so the device
// cannot tell the two apart — then reports what the guest did.
import { parentPort, workerData } from 'node:worker_threads';

import { connectVcpu, type ExternalVcpuConfig } from '../../actors/vcpu/external.js';
import { GuestProgram, type GuestProgramConfig } from '../../guest/ts/program.js';

const { vcpu, guest } = workerData as { vcpu: ExternalVcpuConfig; guest: GuestProgramConfig };
const cpu = connectVcpu(vcpu);
const program = new GuestProgram(cpu, guest);
try {
  while (program.step() !== 'done');
  cpu.bus.drainWrites();
  parentPort!.postMessage({ ok: true, stats: program.stats(), bus: cpu.bus.stats() });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: (e as Error).message });
}
