// The vCPU actor's configuration and control plane.
import type { GuestProgramConfig, GuestStats } from './guest/program.js';
import type { BusStats } from './bus-port.js';

export interface VcpuConfig {
  vcpu: number;
  devices: { index: number; variant: 'apple-gfx-mmio' | 'apple-gfx-pci'; mailbox: SharedArrayBuffer }[];
  irqState: SharedArrayBuffer;
  irqMailbox: SharedArrayBuffer;
  writeCompletion: SharedArrayBuffer;
  barTable: SharedArrayBuffer;
  /** Posted writes that may be outstanding (0: every write synchronous). */
  writeWindow: number;
  /** The built-in guest to run, or null for an idle vCPU. */
  guest: GuestProgramConfig | null;
}

export type VcpuState = 'idle' | 'running' | 'done' | 'faulted';

export interface VcpuStats {
  vcpu: number;
  state: VcpuState;
  /** Why the guest stopped, when it faulted (a guest problem, not a host fault). */
  fault: string | null;
  bus: BusStats;
  guest: GuestStats | null;
  irq: { parks: number; wakes: number };
}

export interface VcpuControl {
  stats(): VcpuStats;
  /** Runs another guest program once the previous one is done (throws while one runs). */
  start(guest: GuestProgramConfig): void;
}
