// The vCPU actor's configuration and control plane.
import type { GuestProgramConfig, GuestStats } from '../../guest/ts/program.js';
import type { BusDeviceConfig, BusStats } from './bus-port.js';
import type { KvmGuestStats } from './kvm/kvm-guest.js';

export interface VcpuConfig {
  vcpu: number;
  /** apple-gfx devices and virtio-mmio transports (their mailboxes: the device actors', the input actor's; an apple-gfx engine's under the actor model). */
  devices: BusDeviceConfig[];
  irqState: SharedArrayBuffer;
  irqMailbox: SharedArrayBuffer;
  /** The shared interrupt table (edge vectors' EOIs are taken there: eoi.ts). */
  irqTable: SharedArrayBuffer;
  writeCompletion: SharedArrayBuffer;
  barTable: SharedArrayBuffer;
  /** Posted writes that may be outstanding (0: every write synchronous). */
  writeWindow: number;
  /**
   * The KVM VM to run the machine-code guest in (docs/kvm.md), or null for the TypeScript guest.
   * testMode: the boot block's misbehaviour (KvmTestMode; absent: none), set only by a test's VM
   * (test/support/test-vm.ts).
   */
  kvm: { vm: number; entry: number; testMode?: number } | null;
  /** The built-in guest to run, or null for an idle vCPU. */
  guest: GuestProgramConfig | null;
}

/** stopped: the VM stopped it while it waited on a device. */
export type VcpuState = 'idle' | 'running' | 'done' | 'faulted' | 'stopped';

export interface VcpuStats {
  vcpu: number;
  /** Which CPU backend runs the guest. */
  cpu: 'ts' | 'kvm';
  state: VcpuState;
  /** vm.pause() holds this vCPU at a step boundary. */
  paused: boolean;
  /** Why the guest stopped, when it faulted (a guest problem, not a host fault). */
  fault: string | null;
  bus: BusStats;
  /** Guest progress; a KVM guest's also counts its exits by kind (KvmGuestStats). */
  guest: GuestStats | KvmGuestStats | null;
  irq: { parks: number; wakes: number };
}

export interface VcpuControl {
  stats(): VcpuStats;
  /** Runs another guest program once the previous one is done (throws while one runs). */
  start(guest: GuestProgramConfig): void;
  /**
   * Answers once the vCPU is at a step boundary with its posted writes done; the caller first
   * set the pause word (VcpuIrqState.requestPause), which ends the slice and any halt.
   */
  pause(): void;
  /** Ends a pause: the guest goes on from the step boundary where it stopped. */
  resume(): void;
  /** While paused: back to the entry of the guest program it last ran (a system reset). */
  reset(): void;
  /** Resolves with the stats once the guest is no longer running (done, faulted or stopped). */
  whenDone(): Promise<VcpuStats>;
  /**
   * Resolves once the guest has finished `frames` frames (or stopped running), the vCPU then
   * holding itself at that step boundary with its pause word set: vm.pause() completes the pause.
   */
  holdAtFrame(frames: number): Promise<void>;
  /**
   * While paused: the guest's state as bytes (the one running, or one loaded and not started
   * yet): a TypeScript guest program's, or a KVM vCPU's (actors/vcpu/kvm/vcpu-state-snapshot.ts,
   * taken at the exit boundary it paused at); null when the vCPU has none. Throws for a KVM
   * guest that faulted.
   */
  saveProgram(): Uint8Array | null;
  /**
   * Before the vCPU ran anything (a restore): a program for `guest` with the saved state (on a
   * KVM vCPU: the state checked, then loaded into the vCPU made here), which the next
   * start(guest) runs instead of booting a new one. Returns why it was refused, or null.
   */
  loadProgram(guest: GuestProgramConfig, bytes: Uint8Array): string | null;
}
