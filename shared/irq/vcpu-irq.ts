// A vCPU's interrupt state in a SharedArrayBuffer: the pending vectors and the futex word a
// halted vCPU sleeps on. Any thread may deliver (in a VM the interrupt controller does); one
// vCPU thread takes, here or, for a KVM vCPU, in native code before each KVM_RUN
// (native/src/kvm/kvm_vcpu.cpp). Sleeping and waking go through the addon's futex, so a native
// thread can wake a JS vCPU and a native vCPU can be woken from JS. Protocol: docs/interrupts.md.
import { futexParker } from '../doorbell/parker.js';
import { native } from '../native/addon.js';
import { IRQ_VECTORS, VCPU_IRQ_BYTES, VCPU_IRQ_MAGIC, VCPU_IRQ_PENDING_WORDS, VcpuIrqWord } from './layout.js';
import { spinBudgetNow, spinDone } from '../doorbell/spin-gate.js';

/** paused: vm.pause() asked the vCPU to stop at its next step boundary; the halt ends so it can. */
export type HaltOutcome = 'interrupt' | 'timed-out' | 'stopped' | 'paused';

export interface VcpuIrqStats {
  sequence: number;
  parked: boolean;
  stopRequested: boolean;
  parks: number;
  wakes: number;
}

/** Sequence checks a halting vCPU makes before it parks (each a single atomic load). */
export const DEFAULT_HALT_SPIN = 2000;

export function createVcpuIrqBuffer(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(VCPU_IRQ_BYTES);
  Atomics.store(new Int32Array(sab), VcpuIrqWord.Magic, VCPU_IRQ_MAGIC);
  return sab;
}

export function isVector(vector: number): boolean {
  return Number.isInteger(vector) && vector >= 0 && vector < IRQ_VECTORS;
}

export class VcpuIrqState {
  readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== VCPU_IRQ_BYTES) {
      throw new TypeError(`a vCPU interrupt state is a ${VCPU_IRQ_BYTES}-byte SharedArrayBuffer`);
    }
    this.words = new Int32Array(buffer);
    if (Atomics.load(this.words, VcpuIrqWord.Magic) !== VCPU_IRQ_MAGIC) throw new TypeError('not a vCPU interrupt state buffer');
  }

  /**
   * Marks `vector` pending and wakes the vCPU if it sleeps. Returns true when the vector was not
   * pending before (false: it coalesced with a delivery the vCPU has not taken yet).
   */
  deliver(vector: number): boolean {
    if (!isVector(vector)) throw new RangeError(`interrupt vector must be an integer in [0, ${IRQ_VECTORS}), got ${vector}`);
    const bit = 1 << (vector & 31);
    // The bit first, then the sequence: a vCPU that sees the new sequence also sees the bit.
    const old = Atomics.or(this.words, VcpuIrqWord.Pending + (vector >>> 5), bit);
    Atomics.add(this.words, VcpuIrqWord.Sequence, 1);
    this.ring();
    return (old & bit) === 0;
  }

  /** Takes the highest pending vector (x86 order) and clears it; -1 when none is pending. */
  takeHighest(): number {
    const w = this.words;
    for (let i = VCPU_IRQ_PENDING_WORDS - 1; i >= 0; i--) {
      let bits = Atomics.load(w, VcpuIrqWord.Pending + i);
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits);
        const mask = 1 << b;
        const old = Atomics.and(w, VcpuIrqWord.Pending + i, ~mask);
        if ((old & mask) !== 0) return i * 32 + b;
        bits = old & ~mask; // another taker cleared it first: try the rest of the word
      }
    }
    return -1;
  }

  pending(): boolean {
    for (let i = 0; i < VCPU_IRQ_PENDING_WORDS; i++) {
      if (Atomics.load(this.words, VcpuIrqWord.Pending + i) !== 0) return true;
    }
    return false;
  }

  /** A snapshot of the pending vectors, highest first (diagnostics and tests). */
  pendingVectors(): number[] {
    const out: number[] = [];
    for (let i = VCPU_IRQ_PENDING_WORDS - 1; i >= 0; i--) {
      const bits = Atomics.load(this.words, VcpuIrqWord.Pending + i);
      for (let b = 31; b >= 0; b--) if ((bits & (1 << b)) !== 0) out.push(i * 32 + b);
    }
    return out;
  }

  /**
   * HLT: returns when an interrupt is pending or a stop was requested (stop wins), or after
   * timeoutMs (< 0: no limit). Spins up to spinBudget sequence checks, then announces that it
   * parks, re-checks, and sleeps in the futex on the sequence word.
   */
  waitForInterrupt(timeoutMs: number, spinBudget = DEFAULT_HALT_SPIN): HaltOutcome {
    const w = this.words;
    let seen = Atomics.load(w, VcpuIrqWord.Sequence);
    let outcome = this.check();
    if (outcome) return outcome;
    const budget = spinBudgetNow(spinBudget);
    try {
      for (let i = 0; i < budget; i++) {
        const now = Atomics.load(w, VcpuIrqWord.Sequence);
        if (now === seen) continue;
        seen = now;
        if ((outcome = this.check())) return outcome;
      }
    } finally {
      spinDone(budget);
    }
    const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      Atomics.store(w, VcpuIrqWord.Parked, 1);
      // Read the sequence, then re-check, after announcing: a delivery that saw Parked = 0 did
      // not ring, but it bumped the sequence before looking, so we either see its bit now or
      // the futex refuses to sleep on the stale sequence.
      seen = Atomics.load(w, VcpuIrqWord.Sequence);
      const left = deadline - performance.now();
      if ((outcome = this.check()) || left <= 0) {
        Atomics.store(w, VcpuIrqWord.Parked, 0);
        return outcome ?? 'timed-out';
      }
      Atomics.add(w, VcpuIrqWord.Parks, 1);
      futexParker.wait(w, VcpuIrqWord.Sequence, seen, left === Infinity ? -1 : left);
      Atomics.store(w, VcpuIrqWord.Parked, 0);
      if ((outcome = this.check())) return outcome;
      // Spurious wake, or a sequence bump with nothing left for us: sleep again until the deadline.
    }
  }

  /** Asks the vCPU to leave waitForInterrupt (sticky until clearStop), waking it if it sleeps. */
  requestStop(): void {
    Atomics.store(this.words, VcpuIrqWord.Stop, 1);
    Atomics.add(this.words, VcpuIrqWord.Sequence, 1);
    this.ring();
  }

  /**
   * Asks the vCPU to stop at its next step boundary (vm.pause()): a halt returns 'paused', a
   * hardware vCPU inside KVM_RUN is kicked out. Sticky until clearPause.
   */
  requestPause(): void {
    Atomics.store(this.words, VcpuIrqWord.Pause, 1);
    Atomics.add(this.words, VcpuIrqWord.Sequence, 1);
    this.ring();
  }

  clearPause(): void {
    Atomics.store(this.words, VcpuIrqWord.Pause, 0);
  }

  get pauseRequested(): boolean {
    return Atomics.load(this.words, VcpuIrqWord.Pause) !== 0;
  }

  /** Forgets every pending vector (a system reset: the interrupt controller starts over too). */
  clearPending(): void {
    for (let i = 0; i < VCPU_IRQ_PENDING_WORDS; i++) Atomics.store(this.words, VcpuIrqWord.Pending + i, 0);
  }

  clearStop(): void {
    Atomics.store(this.words, VcpuIrqWord.Stop, 0);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.words, VcpuIrqWord.Stop) !== 0;
  }

  stats(): VcpuIrqStats {
    const w = this.words;
    return {
      sequence: Atomics.load(w, VcpuIrqWord.Sequence) >>> 0,
      parked: Atomics.load(w, VcpuIrqWord.Parked) !== 0,
      stopRequested: this.stopRequested,
      parks: Atomics.load(w, VcpuIrqWord.Parks) >>> 0,
      wakes: Atomics.load(w, VcpuIrqWord.Wakes) >>> 0,
    };
  }

  private check(): HaltOutcome | null {
    if (Atomics.load(this.words, VcpuIrqWord.Stop) !== 0) return 'stopped';
    if (Atomics.load(this.words, VcpuIrqWord.Pause) !== 0) return 'paused';
    return this.pending() ? 'interrupt' : null;
  }

  /**
   * Wakes the vCPU only if it announced that it sleeps. Only the vCPU clears Parked: a deliverer
   * that cleared it could do so late, after the vCPU announced its next sleep, and that sleep
   * would then never be rung (the futex word is the sequence, not Parked).
   */
  private ring(): void {
    const w = this.words;
    if (Atomics.load(w, VcpuIrqWord.Parked) !== 0) {
      Atomics.add(w, VcpuIrqWord.Wakes, 1);
      futexParker.wake(w, VcpuIrqWord.Sequence, -1);
    }
    // A hardware vCPU running guest code: the sequence was bumped before this look, and it
    // publishes its thread before looking at the pending bits, so one of us sees the other.
    const thread = Atomics.load(w, VcpuIrqWord.KickThread);
    if (thread !== 0) native.kickThread(thread);
  }
}
