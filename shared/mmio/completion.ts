// Posted MMIO writes: per-vCPU completion counters in a SAB, laid out as abi/schema says
// (abi/generated/completion-layout.ts, native/src/abi/mmio_completion_layout.h). A vCPU counts
// the writes it issued; the device (or the engine) bumps `completed` when one is carried out and wakes the vCPU if it announced that
// it waits (its window of posted writes is full, or it wants a synchronous write).
import { type GiveUpCheck, WaitAbandonedError } from '../wait-abandoned.js';
import { futexParker, type Parker } from '../doorbell/parker.js';
import { COMPLETION_WORDS_PER_VCPU, CompletionWord } from '../../abi/generated/completion-layout.js';

export { COMPLETION_WORDS_PER_VCPU, CompletionWord };

export function createCompletionBuffer(vcpus: number): SharedArrayBuffer {
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 256) throw new RangeError(`vcpus must be in [1, 256], got ${vcpus}`);
  return new SharedArrayBuffer(vcpus * COMPLETION_WORDS_PER_VCPU * 4);
}

/** The device side: one posted write of `vcpu` is done. */
export function completeWrite(words: Int32Array, vcpu: number): void {
  const base = vcpu * COMPLETION_WORDS_PER_VCPU;
  if (base < 0 || base >= words.length) return;
  Atomics.add(words, base + CompletionWord.Completed, 1);
  if (Atomics.load(words, base + CompletionWord.Waiting) !== 0) futexParker.wake(words, base + CompletionWord.Completed, 1);
}

/** Posted writes still not carried out after the wait's timeout (the device side is stuck). */
export class PostedWritesTimeoutError extends Error {
  override readonly name = 'PostedWritesTimeoutError';
  constructor(
    readonly outstanding: number,
    readonly timeoutMs: number,
  ) {
    super(`posted MMIO writes not completed after ${timeoutMs} ms (${outstanding} outstanding)`);
  }
}

/**
 * Wakes every vCPU parked waiting for its posted writes, so that it asks its give-up check now
 * rather than at the end of its wait slice (the VM is stopping). Returns how many it woke.
 */
export function wakeWriteWaiters(completion: SharedArrayBuffer): number {
  const words = new Int32Array(completion);
  let woken = 0;
  for (let base = 0; base < words.length; base += COMPLETION_WORDS_PER_VCPU) {
    // Its one waiter is the vCPU itself.
    if (Atomics.load(words, base + CompletionWord.Waiting) !== 0) woken += futexParker.wake(words, base + CompletionWord.Completed, 1);
  }
  return woken;
}

/** The vCPU side: counts issued writes and waits while more than `window` are outstanding. */
export class PostedWrites {
  private issued = 0;
  private readonly base: number;

  constructor(
    private readonly words: Int32Array,
    vcpu: number,
    /** Writes that may be outstanding; 0 makes every write synchronous. */
    readonly window: number,
    /** Asked after each park; true: give up waiting (WaitAbandonedError). */
    private readonly giveUp: GiveUpCheck | null = null,
  ) {
    this.base = vcpu * COMPLETION_WORDS_PER_VCPU;
    this.issued = Atomics.load(words, this.base + CompletionWord.Completed);
  }

  /** Call before posting a write: waits until the window has room. */
  beforeWrite(): void {
    this.waitUntilOutstandingAtMost(this.window - 1 < 0 ? 0 : this.window - 1);
    this.issued = (this.issued + 1) | 0;
  }

  /** Call after posting a write when writes are synchronous. */
  afterWrite(): void {
    if (this.window === 0) this.waitUntilOutstandingAtMost(0);
  }

  /** Index of this vCPU's completed-writes counter in the completion words. */
  get completedIndex(): number {
    return this.base + CompletionWord.Completed;
  }

  /**
   * One bounded park until a write completes (for a caller running its own wait loop); `wait`
   * sleeps on the completed counter (a caller may watch another word as well).
   */
  parkOnce(timeoutMs: number, wait: Parker['wait'] = futexParker.wait): void {
    const w = this.words;
    const index = this.base + CompletionWord.Completed;
    Atomics.store(w, this.base + CompletionWord.Waiting, 1);
    const completed = Atomics.load(w, index);
    if (((this.issued - completed) | 0) > 0) wait(w, index, completed, timeoutMs);
    Atomics.store(w, this.base + CompletionWord.Waiting, 0);
  }

  outstanding(): number {
    return (this.issued - Atomics.load(this.words, this.base + CompletionWord.Completed)) | 0;
  }

  /** Waits until at most `n` writes are outstanding (spin, then park). */
  waitUntilOutstandingAtMost(n: number, timeoutMs = 10_000): void {
    if (this.outstanding() <= n) return;
    for (let i = 0; i < 2000; i++) if (this.outstanding() <= n) return;
    const w = this.words;
    const index = this.base + CompletionWord.Completed;
    const deadline = performance.now() + timeoutMs;
    Atomics.store(w, this.base + CompletionWord.Waiting, 1);
    try {
      for (;;) {
        const completed = Atomics.load(w, index);
        if (((this.issued - completed) | 0) <= n) return;
        const left = deadline - performance.now();
        if (left <= 0) throw new PostedWritesTimeoutError(this.outstanding(), timeoutMs);
        futexParker.wait(w, index, completed, Math.min(left, 100));
        if (this.giveUp?.() && ((this.issued - Atomics.load(w, index)) | 0) > n) throw new WaitAbandonedError('posted MMIO writes');
      }
    } finally {
      Atomics.store(w, this.base + CompletionWord.Waiting, 0);
    }
  }
}
