// The big QEMU lock of the `qemu` threading model (docs/threading-models.md). One futex mutex in
// a SAB (Drepper's three states, as BigLock) with the holder's tag, exact hold and wait
// accounting, and the one thing QEMU's BQL does that a plain mutex does not: a vCPU that holds it
// inside AIO_WAIT_WHILE runs the main context's bottom halves meanwhile
// (include/block/aio-wait.h: aio_poll(qemu_get_aio_context()) under the BQL). Our BHs are
// handlers of other actors, so "the vCPU runs them" is a hand-off: the BH's thread asks, the
// waiting vCPU lends it the lock and waits until it is handed back, exactly as long as the vCPU
// would have been busy running the BH itself. No two threads ever run under the lock at once.
import { futexParker, futexWaitEither } from '../doorbell/parker.js';
import { spinBudgetNow, spinDone } from '../doorbell/spin-gate.js';
import { type GiveUpCheck, WaitAbandonedError } from '../wait-abandoned.js';

const enum Word {
  State = 0,
  Owner = 1,
  /** 1 while the holder is in AIO_WAIT_WHILE (it will lend the lock to a BH). */
  AioWaiting = 2,
  /**
   * 0, or a requester's tag (asking), or tag | LENT (the lock is lent to it). The holder in
   * AIO_WAIT_WHILE sleeps on this word as well as on its access's completion (aioPark), so a BH
   * that asks changes a word its sleep watches: the request cannot be lost (aio_notify).
   */
  Lend = 3,
  /**
   * Bumped when a lend may have become possible (a holder entered AIO_WAIT_WHILE, a lend ended or
   * was withdrawn): a BH's thread waiting for a held lock sleeps on it as well as on State.
   */
  LendEpoch = 4,
}
const WORDS = 8;
const enum Counter {
  Acquisitions = 4,
  Contended = 5,
  WaitNs = 6,
  HoldNs = 7,
  Lends = 8,
  LentNs = 9,
  AioWaits = 10,
  AioWaitNs = 11,
}
const COUNTERS = 12;

const FREE = 0;
const HELD = 1;
const CONTENDED = 2;
const LENT = 0x4000_0000;
/**
 * How long a BH's thread sleeps between looks while it waits for a lend or for a lock held by
 * something that will not lend it. Every change it waits for wakes it (LendEpoch, State, Lend):
 * this only bounds the damage of a bug.
 */
const RECHECK_MS = 5;
/**
 * Blocking waits park in slices, so a thread whose peer died holding the lock can be terminated
 * (worker.terminate() acts between JavaScript calls, not inside a futex wait) or give up.
 */
const SLICE_MS = 50;
/**
 * Checks of a hand-off word before parking. Upstream the vCPU runs the BH itself; here a lent
 * stretch is two hand-offs between threads, so both sides spin first (within the VM's spin gate)
 * to keep the model's cost near the real one. As long as a vCPU's reply spin: a longer one took
 * the very core the BH needed on the 2-core machine (1 device: 130 → 122 frames/s).
 */
const HANDOFF_SPIN = 2000;

export function createBqlBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(COUNTERS * 8);
}

export interface BqlStats {
  acquisitions: number;
  /** Takes that found the lock held and had to wait. */
  contended: number;
  /** Time spent waiting for it, all threads together. */
  waitMs: number;
  /** Time it was held (a lent stretch counts once, as its lender's), all holders together. */
  holdMs: number;
  /** Times a vCPU in AIO_WAIT_WHILE lent it to a bottom half, and for how long in all. */
  lends: number;
  lentMs: number;
  /** MMIO accesses that waited in AIO_WAIT_WHILE, and the time they waited (lends included). */
  aioWaits: number;
  aioWaitMs: number;
}

/** How a BH's thread got the lock: taken (the main loop's part) or lent by a waiting vCPU. */
export type BhEntry = 'taken' | 'lent';

/** Tags name holders in the Owner and Lend words: any positive number below LENT. */
export function bqlTag(kind: 'vcpu' | 'actor', index: number): number {
  return (kind === 'vcpu' ? 0x1000 : 0x2000) + index;
}

export class Bql {
  private readonly words: Int32Array;
  private readonly counters: BigInt64Array;
  /** When this thread took the lock (performance.now()), for the hold time. */
  private heldSince = 0;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, WORDS);
    this.counters = new BigInt64Array(buffer);
  }

  /**
   * Takes the lock (blocking); returns how long it waited in ms (0 when it was free). Throws
   * WaitAbandonedError when `giveUp` says so while it waits (the VM is stopping).
   */
  lock(tag: number, giveUp: GiveUpCheck | null = null): number {
    const w = this.words;
    let c = Atomics.compareExchange(w, Word.State, FREE, HELD);
    if (c === FREE) {
      this.took(tag, 0, false);
      return 0;
    }
    const start = performance.now();
    if (c !== CONTENDED) c = Atomics.exchange(w, Word.State, CONTENDED);
    while (c !== FREE) {
      futexParker.wait(w, Word.State, CONTENDED, SLICE_MS);
      if (giveUp?.()) throw new WaitAbandonedError('the BQL');
      c = Atomics.exchange(w, Word.State, CONTENDED);
    }
    const waited = performance.now() - start;
    this.took(tag, waited, true);
    return waited;
  }

  /** Takes the lock if it is free; never waits. */
  tryLock(tag: number): boolean {
    if (Atomics.compareExchange(this.words, Word.State, FREE, HELD) !== FREE) return false;
    this.took(tag, 0, false);
    return true;
  }

  unlock(): void {
    const held = performance.now() - this.heldSince;
    Atomics.add(this.counters, Counter.HoldNs, BigInt(Math.round(held * 1e6)));
    Atomics.store(this.words, Word.Owner, 0);
    if (Atomics.sub(this.words, Word.State, 1) !== HELD) {
      Atomics.store(this.words, Word.State, FREE);
      futexParker.wake(this.words, Word.State, 1);
    }
  }

  /** The holder's tag, 0 when free. */
  owner(): number {
    return Atomics.load(this.words, Word.Owner);
  }

  // ------------------------------------------------------------ the holder's AIO_WAIT_WHILE

  /**
   * The holder enters AIO_WAIT_WHILE: from now on it lends the lock to BHs that ask (it sleeps
   * in aioPark, which their request wakes). BH threads that found the lock held wake to ask.
   */
  aioEnter(): void {
    Atomics.store(this.words, Word.AioWaiting, 1);
    this.lendMayBePossible();
  }

  /**
   * The holder in AIO_WAIT_WHILE sleeps until `words[index]` changes from `expected` or is woken
   * (its access completed), or a BH asks for the lock, or `timeoutMs` passes: aio_poll blocking
   * on the AioContext, where both the job's completion and a scheduled BH land.
   */
  aioPark(words: Int32Array, index: number, expected: number, timeoutMs: number): void {
    if (Atomics.load(this.words, Word.Lend) !== 0) return; // asked already: serve it first
    futexWaitEither(words, index, expected, this.words, Word.Lend, 0, timeoutMs);
  }

  /**
   * The holder leaves AIO_WAIT_WHILE after waiting `ms`. A BH that asked at the last moment is
   * still served first, so no requester is left asking a holder that no longer listens.
   */
  aioLeave(ms: number, onLend?: (start: number) => void, giveUp: GiveUpCheck | null = null): void {
    Atomics.store(this.words, Word.AioWaiting, 0);
    this.serveLend(onLend, giveUp);
    Atomics.add(this.counters, Counter.AioWaits, 1n);
    Atomics.add(this.counters, Counter.AioWaitNs, BigInt(Math.round(ms * 1e6)));
  }

  /** True when a BH's thread asks for the lock (the holder's wait loop polls this). */
  lendAsked(): boolean {
    const l = Atomics.load(this.words, Word.Lend);
    return l !== 0 && (l & LENT) === 0;
  }

  /**
   * The holder, in AIO_WAIT_WHILE: if a BH asks, lend it the lock and wait until it is handed
   * back (aio_poll running the BH). Returns whether it lent. `onLend` gets the lend's start
   * (performance.now()) after it ended, for a trace span.
   */
  serveLend(onLend?: (start: number) => void, giveUp: GiveUpCheck | null = null): boolean {
    const w = this.words;
    const l = Atomics.load(w, Word.Lend);
    if (l === 0 || (l & LENT) !== 0) return false;
    if (Atomics.compareExchange(w, Word.Lend, l, l | LENT) !== l) return false; // withdrawn
    const start = performance.now();
    futexParker.wake(w, Word.Lend, -1);
    // Upstream this thread would be running the BH now: spin for its return, then park.
    const budget = spinBudgetNow(HANDOFF_SPIN);
    for (let i = 0; i < budget && Atomics.load(w, Word.Lend) === (l | LENT); i++);
    spinDone(budget);
    while (Atomics.load(w, Word.Lend) === (l | LENT)) {
      futexParker.wait(w, Word.Lend, l | LENT, SLICE_MS);
      if (giveUp?.() && Atomics.load(w, Word.Lend) === (l | LENT)) throw new WaitAbandonedError('a bottom half the BQL was lent to');
    }
    Atomics.add(this.counters, Counter.Lends, 1n);
    Atomics.add(this.counters, Counter.LentNs, BigInt(Math.round((performance.now() - start) * 1e6)));
    onLend?.(start);
    return true;
  }

  // ------------------------------------------------------------ a bottom half's thread

  /**
   * Gets the lock for a bottom half without ever waiting on a vCPU that waits for this thread:
   * takes it when free; when a vCPU holds it inside AIO_WAIT_WHILE, asks that vCPU to lend it
   * (it polls for this while it waits); otherwise (a BH or the refresh timer holds it, briefly,
   * waiting for no one) sleeps a little and looks again. Returns how it got it and how long it
   * waited (ms); end the BH with bhExit(entry).
   */
  bhEnter(tag: number): { entry: BhEntry; waitedMs: number } {
    const w = this.words;
    let start = 0;
    /** It slept on State, so an unlock's wake may have gone to it rather than to another sleeper. */
    let slept = false;
    for (;;) {
      // Read before looking whether a lend is possible: a holder that enters AIO_WAIT_WHILE after
      // the look bumps it, and the sleep below then does not start.
      const epoch = Atomics.load(w, Word.LendEpoch);
      // Once it has slept, it takes the lock as contended (as lock() does after a wake): others
      // may sleep on it too, and only a contended lock's unlock wakes the next one.
      if (Atomics.compareExchange(w, Word.State, FREE, slept ? CONTENDED : HELD) === FREE) {
        const waited = start === 0 ? 0 : performance.now() - start;
        this.took(tag, waited, start !== 0);
        return { entry: 'taken', waitedMs: waited };
      }
      if (start === 0) start = performance.now();
      if (Atomics.load(w, Word.AioWaiting) === 1 && Atomics.compareExchange(w, Word.Lend, 0, tag) === 0) {
        // Borrowing, it will not take the lock: a wake it consumed is passed on by the holder's
        // unlock, which wakes a sleeper only when the lock is marked contended.
        if (slept) Atomics.compareExchange(w, Word.State, HELD, CONTENDED);
        futexParker.wake(w, Word.Lend, -1); // aio_notify: the holder sleeps on Lend too (aioPark)
        if (this.awaitLend(tag)) {
          const waited = performance.now() - start;
          this.counted(waited, true);
          return { entry: 'lent', waitedMs: waited };
        }
        continue;
      }
      // Held by someone who will not lend it now (or another BH is asking): mark it contended so
      // the unlock wakes us, and sleep until then or until a lend may be possible.
      if (Atomics.exchange(w, Word.State, CONTENDED) === FREE) {
        const waited = performance.now() - start;
        this.took(tag, waited, true);
        return { entry: 'taken', waitedMs: waited };
      }
      futexWaitEither(w, Word.State, CONTENDED, w, Word.LendEpoch, epoch, RECHECK_MS);
      slept = true;
    }
  }

  /**
   * Ends a bottom half: releases the lock, or hands it back to the vCPU that lent it (a lent
   * stretch is part of the lender's hold and counted in lentMs, not again as a hold).
   */
  bhExit(entry: BhEntry): void {
    if (entry === 'taken') {
      this.unlock();
      return;
    }
    Atomics.store(this.words, Word.Lend, 0);
    futexParker.wake(this.words, Word.Lend, -1);
    this.lendMayBePossible(); // another BH may be waiting to ask
  }

  stats(): BqlStats {
    const n = (c: Counter) => Number(Atomics.load(this.counters, c));
    return {
      acquisitions: n(Counter.Acquisitions),
      contended: n(Counter.Contended),
      waitMs: n(Counter.WaitNs) / 1e6,
      holdMs: n(Counter.HoldNs) / 1e6,
      lends: n(Counter.Lends),
      lentMs: n(Counter.LentNs) / 1e6,
      aioWaits: n(Counter.AioWaits),
      aioWaitMs: n(Counter.AioWaitNs) / 1e6,
    };
  }

  /** Wakes BH threads waiting for a held lock (bhEnter), to look whether they can ask for a lend. */
  private lendMayBePossible(): void {
    Atomics.add(this.words, Word.LendEpoch, 1);
    futexParker.wake(this.words, Word.LendEpoch, -1);
  }

  /** Waits for the vCPU to lend the lock to `tag`; false when it left AIO_WAIT_WHILE first (withdrawn). */
  private awaitLend(tag: number): boolean {
    const w = this.words;
    const budget = spinBudgetNow(HANDOFF_SPIN);
    for (let i = 0; i < budget && Atomics.load(w, Word.Lend) === tag; i++);
    spinDone(budget);
    for (;;) {
      const l = Atomics.load(w, Word.Lend);
      if (l === (tag | LENT)) return true;
      // The holder left its wait without seeing us: withdraw (unless it lent meanwhile).
      if (Atomics.load(w, Word.AioWaiting) === 0 && Atomics.compareExchange(w, Word.Lend, tag, 0) === tag) {
        futexParker.wake(w, Word.Lend, -1);
        this.lendMayBePossible();
        return false;
      }
      futexParker.wait(w, Word.Lend, tag, RECHECK_MS);
    }
  }

  private took(tag: number, waitedMs: number, contended: boolean): void {
    Atomics.store(this.words, Word.Owner, tag);
    this.counted(waitedMs, contended);
    this.heldSince = performance.now();
  }

  private counted(waitedMs: number, contended: boolean): void {
    Atomics.add(this.counters, Counter.Acquisitions, 1n);
    if (contended) {
      Atomics.add(this.counters, Counter.Contended, 1n);
      Atomics.add(this.counters, Counter.WaitNs, BigInt(Math.round(waitedMs * 1e6)));
    }
  }
}
