// A vCPU actor's hardware vCPU: the native KVM vCPU (created on, and only run from, the actor's
// own thread) and the per-kind exit counters. One per actor for its whole life: KVM cannot
// destroy a vCPU, so a second guest on this actor reuses it.
import type { NativeHandle } from '../../../shared/native/types.js';
import { native } from '../../../shared/native/addon.js';
import type { VcpuIrqState } from '../../../shared/irq/vcpu-irq.js';
import type { LongModeEntry } from './boot.js';
import { EXIT_INFO_LENGTH, ExitCounter, ExitInfo } from './exits.js';
import type { KvmCpuState } from './vcpu-state.js';

/** KVM_RUN returns at least this often (a timer kick) even when the guest never exits. */
export const KVM_SLICE_PERIOD_MS = 20;

export class KvmVcpu {
  readonly info = new Float64Array(EXIT_INFO_LENGTH);
  readonly exits = new ExitCounter();
  private handle: NativeHandle | null;

  constructor(vm: number, index: number, irq: VcpuIrqState) {
    this.handle = native.kvmCreateVcpu(vm, index, irq.words, this.info, KVM_SLICE_PERIOD_MS);
  }

  enter(entry: LongModeEntry): void {
    native.kvmEnterLongMode(this.live(), entry);
  }

  /** One KVM_RUN; the exit's details are in `info` (ExitInfo slots). */
  run(): number {
    const kind = native.kvmRun(this.live());
    this.exits.count(kind);
    this.exits.injections = this.info[ExitInfo.Injections]!;
    return kind;
  }

  /** The value a read exit (MMIO or port) returns to the guest: low and high 32 bits. */
  completeRead(lo: number, hi: number): void {
    native.kvmCompleteRead(this.live(), lo >>> 0, hi >>> 0);
  }

  registers(): ReturnType<typeof native.kvmRegisters> {
    return native.kvmRegisters(this.live());
  }

  /** The state at this exit boundary, for a snapshot (KVM_GET_*, after completing the exit's I/O). */
  saveState(): KvmCpuState {
    return native.kvmSaveState(this.live());
  }

  /** A snapshot's state, already checked (vcpu-state-check.ts), in place of an entry; KVM's refusal throws. */
  loadState(state: KvmCpuState): void {
    native.kvmLoadState(this.live(), state);
  }

  close(): void {
    if (this.handle) native.kvmCloseVcpu(this.handle);
    this.handle = null;
  }

  private live(): NativeHandle {
    if (!this.handle) throw new Error('the KVM vCPU is closed');
    return this.handle;
  }
}
