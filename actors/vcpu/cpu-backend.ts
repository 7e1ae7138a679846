// The interface a vCPU runs: the built-in TypeScript guest (guest/program.ts) and the
// machine-code guest on a KVM vCPU (kvm/kvm-guest.ts) implement it, and an embedder's own vCPU
// loop gets the same services (external.ts). A backend runs in slices so the vCPU actor stays
// responsive to its control plane between them.
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import type { VcpuIrqState } from '../../shared/irq/vcpu-irq.js';

export type StepOutcome = 'running' | 'done';

/** What a vCPU gives its backend: MMIO through the bus, its interrupt state, guest RAM. */
export interface VcpuServices {
  readonly vcpu: number;
  readonly memory: GuestMemory;
  readonly irq: VcpuIrqState;
  /** An access as a number: exact below 2^53 (enough for 1, 2 and 4 bytes). */
  mmioRead(address: number, size: number): number;
  mmioWrite(address: number, size: number, value: number): void;
  /** An access with its value as two 32-bit halves, exact for 8 bytes: read fills [lo, hi]. */
  mmioReadHalves(address: number, size: number, into: Uint32Array): void;
  mmioWriteHalves(address: number, size: number, lo: number, hi: number): void;
  /** Tells the interrupt controller the guest finished handling `vector`. */
  endOfInterrupt(vector: number): void;
}

export interface CpuBackend {
  /** Runs one slice (the TypeScript guest: one frame). 'done' when the guest has nothing left to run. */
  step(): StepOutcome;
  stats(): object;
}
