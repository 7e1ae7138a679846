// What a guest's CPU backend is given (VcpuServices) over a vCPU's bus and interrupt state: one
// place for the built-in vCPU actor and an embedder's own loop (external.ts).
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import type { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';
import type { VcpuBusPort } from './bus-port.js';
import type { VcpuServices } from './cpu-backend.js';
import type { EoiPort } from './eoi.js';

export function vcpuServices(vcpu: number, memory: GuestMemory, irq: VcpuIrqState, bus: VcpuBusPort, eoi: EoiPort): VcpuServices {
  return {
    vcpu,
    memory,
    irq,
    mmioRead: (a, s) => bus.read(a, s),
    mmioWrite: (a, s, v) => bus.write(a, s, v),
    mmioReadHalves: (a, s, into) => bus.readHalves(a, s, into),
    mmioWriteHalves: (a, s, lo, hi) => bus.writeHalves(a, s, lo, hi),
    endOfInterrupt: (vector) => eoi.endOfInterrupt(vector),
  };
}
