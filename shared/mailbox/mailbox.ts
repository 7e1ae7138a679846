// A bounded multi-producer single-consumer queue in a SharedArrayBuffer, with its doorbell.
// The protocol (Vyukov per-slot sequence numbers, spin-then-park, back-pressure on full) is in
// docs/shared-memory.md; native/src/core/mailbox.cpp implements the same one over the same words.
import { type GiveUpCheck, WaitAbandonedError } from '../wait-abandoned.js';
import { parkerFor, type Parker } from '../doorbell/parker.js';
import { CloseReason, MailboxClosedError, MailboxTimeoutError } from './errors.js';
import {
  DOORBELL_PARKED,
  DOORBELL_RUNNING,
  MAILBOX_HEADER_WORDS,
  MAILBOX_MAGIC,
  MailboxWord,
  ParkMode,
  RECORD_ARGS,
  RECORD_WORDS,
  mailboxBytes,
} from './layout.js';
import type { MailboxRecord } from './record.js';
import { spinBudgetNow, spinDone } from '../doorbell/spin-gate.js';
import { native } from '../native/addon.js';

export interface MailboxOptions {
  capacity: number;
  /**
   * 'futex' (default) lets native threads wake a consumer thread; 'atomics' is for JS-only pairs;
   * 'event-loop' is for a consumer that parks asynchronously (its event loop keeps running) and
   * that native threads must be able to wake (docs/doorbells.md, "Event-loop consumers").
   */
  park?: MailboxParkMode;
}

export type MailboxParkMode = 'futex' | 'atomics' | 'event-loop';

const PARK_MODES: Record<MailboxParkMode, ParkMode> = { futex: ParkMode.Futex, atomics: ParkMode.Atomics, 'event-loop': ParkMode.EventLoop };

export interface MailboxStats {
  capacity: number;
  depth: number;
  enqueued: number;
  dequeued: number;
  producerWaits: number;
  producersWaiting: number;
  consumerParks: number;
  closed: boolean;
}

/** 'attention': someone called nudge() (work waits outside the queue, e.g. a control message). */
export type WorkOutcome = 'ready' | 'attention' | 'woken' | 'timed-out' | 'closed';

const TWO_POW_32 = 0x1_0000_0000;
/** A producer waiting on a full mailbox re-checks the closed flag at least this often. */
const PRODUCER_RECHECK_MS = 100;
const PRODUCER_SPINS = 64;

export function createMailboxBuffer(options: MailboxOptions): SharedArrayBuffer {
  const { capacity } = options;
  if (!Number.isInteger(capacity) || capacity < 2 || capacity > 1 << 24 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`mailbox capacity must be a power of two in [2, 2^24], got ${capacity}`);
  }
  const sab = new SharedArrayBuffer(mailboxBytes(capacity));
  const w = new Int32Array(sab);
  w[MailboxWord.Capacity] = capacity;
  w[MailboxWord.RecordWords] = RECORD_WORDS;
  w[MailboxWord.ParkMode] = PARK_MODES[options.park ?? 'futex'];
  for (let i = 0; i < capacity; i++) w[MAILBOX_HEADER_WORDS + i * RECORD_WORDS] = i;
  Atomics.store(w, MailboxWord.Magic, MAILBOX_MAGIC);
  return sab;
}

export class Mailbox {
  readonly words: Int32Array;
  readonly capacity: number;
  private readonly mask: number;
  private readonly parker: Parker;
  /** Consumer-side state: only the single consumer uses these. */
  private head = 0;
  private dequeued = 0;
  private attentionSeen = 0;
  /** Park mode EventLoop: this consumer's doorbell (an eventfd its loop polls) and its one park. */
  private eventLoop: EventLoopPark | null = null;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly name = 'mailbox',
  ) {
    const w = new Int32Array(buffer);
    const capacity = w[MailboxWord.Capacity] ?? 0;
    if (Atomics.load(w, MailboxWord.Magic) !== MAILBOX_MAGIC || w[MailboxWord.RecordWords] !== RECORD_WORDS) {
      throw new TypeError(`${name}: not a mailbox buffer`);
    }
    if (buffer.byteLength !== mailboxBytes(capacity)) throw new TypeError(`${name}: buffer size does not match its capacity`);
    this.words = w;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.parker = parkerFor(w[MailboxWord.ParkMode] ?? -1);
    this.head = Atomics.load(w, MailboxWord.Head);
    this.dequeued = this.readDequeued();
  }

  // ---------------------------------------------------------------- producer side

  /** Enqueues a record; waits while the mailbox is full (never drops). timeoutMs < 0: no limit. */
  enqueue(kind: number, args: ArrayLike<number> = [], timeoutMs = -1): void {
    if (args.length > RECORD_ARGS) throw new RangeError(`${this.name}: at most ${RECORD_ARGS} argument words`);
    const { base, pos } = this.claim(timeoutMs);
    this.fill(base, kind, args);
    this.publish(base, pos);
  }

  private fill(base: number, kind: number, args: ArrayLike<number>): void {
    const w = this.words;
    w[base + 1] = kind;
    let i = 0;
    for (; i < args.length; i++) w[base + 2 + i] = args[i]! | 0;
    for (; i < RECORD_ARGS; i++) w[base + 2 + i] = 0;
  }

  /** Allocation-free enqueue of up to seven argument words. */
  post(kind: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0): void {
    const { base, pos } = this.claim(-1);
    this.write7(base, kind, a0, a1, a2, a3, a4, a5, a6);
    this.publish(base, pos);
  }

  private write7(base: number, kind: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number): void {
    const w = this.words;
    w[base + 1] = kind;
    w[base + 2] = a0;
    w[base + 3] = a1;
    w[base + 4] = a2;
    w[base + 5] = a3;
    w[base + 6] = a4;
    w[base + 7] = a5;
    w[base + 8] = a6;
    for (let i = 9; i < RECORD_WORDS; i++) w[base + i] = 0;
  }

  /** Asks the consumer to look outside its queue (it will not park until it has), then rings. */
  nudge(): void {
    Atomics.add(this.words, MailboxWord.Attention, 1);
    this.ring();
  }

  /**
   * Non-blocking enqueue for producers that must never wait (the device actor, the compositor):
   * false when the mailbox is full right now; the caller keeps the record and tries again.
   */
  tryEnqueue(kind: number, args: ArrayLike<number>): boolean {
    if (args.length > RECORD_ARGS) throw new RangeError(`${this.name}: at most ${RECORD_ARGS} argument words`);
    const claimed = this.tryClaim();
    if (claimed === null) return false;
    this.fill(claimed.base, kind, args);
    this.publish(claimed.base, claimed.pos);
    return true;
  }

  /** Allocation-free tryEnqueue of up to seven argument words. */
  tryPost(kind: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0): boolean {
    const claimed = this.tryClaim();
    if (claimed === null) return false;
    this.write7(claimed.base, kind, a0, a1, a2, a3, a4, a5, a6);
    this.publish(claimed.base, claimed.pos);
    return true;
  }

  /** Wakes the consumer if it is parked (producers ring only a sleeping consumer). */
  ring(): void {
    const w = this.words;
    if (
      Atomics.load(w, MailboxWord.DoorbellState) === DOORBELL_PARKED &&
      Atomics.exchange(w, MailboxWord.DoorbellState, DOORBELL_RUNNING) === DOORBELL_PARKED
    ) {
      this.parker.wake(w, MailboxWord.DoorbellState, 1);
    }
  }

  private claimed = { base: 0, pos: 0 };
  private giveUp: GiveUpCheck | null = null;

  /** A producer that waits on a full mailbox asks `check` after each park and gives up when it says so. */
  giveUpWaitsWhen(check: GiveUpCheck | null): void {
    this.giveUp = check;
  }

  /** Claims a slot, waiting (spin, then park on not-full) while the mailbox is full. */
  private claim(timeoutMs: number): { base: number; pos: number } {
    const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
    for (let spins = 0; ; spins++) {
      const claimed = this.tryClaim();
      if (claimed !== null) return claimed;
      if (spins > PRODUCER_SPINS) this.waitNotFull(deadline, timeoutMs);
    }
  }

  /** Claims a slot without waiting; null when the mailbox is full (another producer winning is retried). */
  private tryClaim(): { base: number; pos: number } | null {
    const w = this.words;
    for (;;) {
      if (Atomics.load(w, MailboxWord.Closed) !== 0) {
        throw new MailboxClosedError(this.name, Atomics.load(w, MailboxWord.CloseReason));
      }
      const pos = Atomics.load(w, MailboxWord.Tail);
      const base = MAILBOX_HEADER_WORDS + (pos & this.mask) * RECORD_WORDS;
      const dif = (Atomics.load(w, base) - pos) | 0;
      if (dif < 0) return null;
      if (dif === 0 && Atomics.compareExchange(w, MailboxWord.Tail, pos, (pos + 1) | 0) === pos) {
        this.claimed.base = base;
        this.claimed.pos = pos;
        return this.claimed;
      }
    }
  }

  private publish(base: number, pos: number): void {
    Atomics.store(this.words, base, (pos + 1) | 0);
    this.ring();
  }

  private waitNotFull(deadline: number, timeoutMs: number): void {
    const w = this.words;
    const seen = Atomics.load(w, MailboxWord.NotFull);
    Atomics.add(w, MailboxWord.ProducersWaiting, 1);
    try {
      const pos = Atomics.load(w, MailboxWord.Tail);
      const base = MAILBOX_HEADER_WORDS + (pos & this.mask) * RECORD_WORDS;
      if (((Atomics.load(w, base) - pos) | 0) >= 0 || Atomics.load(w, MailboxWord.Closed) !== 0) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new MailboxTimeoutError(this.name, timeoutMs);
      Atomics.add(w, MailboxWord.ProducerWaits, 1);
      this.parker.wait(w, MailboxWord.NotFull, seen, Math.min(left, PRODUCER_RECHECK_MS));
    } finally {
      Atomics.sub(w, MailboxWord.ProducersWaiting, 1);
    }
    if (this.giveUp?.()) throw new WaitAbandonedError(`room in mailbox ${this.name}`);
  }

  // ---------------------------------------------------------------- consumer side

  /** True when the next record is published. */
  hasWork(): boolean {
    const base = MAILBOX_HEADER_WORDS + (this.head & this.mask) * RECORD_WORDS;
    return Atomics.load(this.words, base) === ((this.head + 1) | 0);
  }

  /** Copies the next record into `out` and releases its slot; false when empty. */
  tryDequeue(out: MailboxRecord): boolean {
    const w = this.words;
    const head = this.head;
    const base = MAILBOX_HEADER_WORDS + (head & this.mask) * RECORD_WORDS;
    if (Atomics.load(w, base) !== ((head + 1) | 0)) return false;
    out.kind = w[base + 1]!;
    const args = out.args;
    for (let i = 0; i < RECORD_ARGS; i++) args[i] = w[base + 2 + i]!;
    this.release(base, head);
    return true;
  }

  private release(base: number, head: number): void {
    const w = this.words;
    Atomics.store(w, base, (head + this.capacity) | 0);
    this.head = (head + 1) | 0;
    Atomics.store(w, MailboxWord.Head, this.head);
    const n = ++this.dequeued;
    Atomics.store(w, MailboxWord.DequeuedLo, (n % TWO_POW_32) | 0);
    Atomics.store(w, MailboxWord.DequeuedHi, Math.floor(n / TWO_POW_32));
    if (Atomics.load(w, MailboxWord.ProducersWaiting) > 0) {
      // One slot freed, one producer woken: waking them all made every dequeue from a full
      // mailbox a thundering herd (16 engine threads into the one compositor at 16 devices),
      // paid for by the consumer that is the bottleneck. A waiter not yet asleep sees NotFull
      // move; one that wakes and loses the slot to another producer waits again, and the
      // next dequeue wakes the next.
      Atomics.add(w, MailboxWord.NotFull, 1);
      this.parker.wake(w, MailboxWord.NotFull, 1);
    }
  }

  /**
   * The consumer's doorbell: spins up to spinBudget checks, then parks until a producer rings,
   * the mailbox closes, or timeoutMs passes (< 0: no limit).
   */
  waitForWork(spinBudget: number, timeoutMs: number): WorkOutcome {
    const w = this.words;
    // The spin takes a place at the VM's spin gate (none free: park at once).
    const budget = spinBudgetNow(spinBudget);
    try {
      for (let i = 0; i < budget; i++) {
        if (this.hasWork()) return 'ready';
        if ((i & 63) === 63 && this.takeAttention()) return 'attention';
      }
    } finally {
      spinDone(budget);
    }
    const early = this.announcePark();
    if (early) return early;
    return this.afterPark(this.parker.wait(w, MailboxWord.DoorbellState, DOORBELL_PARKED, timeoutMs));
  }

  /** Announces that the consumer parks, then re-checks: an outcome if it must not sleep after all. */
  private announcePark(): WorkOutcome | null {
    const w = this.words;
    if (this.hasWork()) return 'ready';
    if (this.takeAttention()) return 'attention';
    Atomics.store(w, MailboxWord.DoorbellState, DOORBELL_PARKED);
    // Re-check after announcing: work published before the store would otherwise be missed.
    if (this.hasWork() || this.takeAttention() || Atomics.load(w, MailboxWord.Closed) !== 0) {
      Atomics.store(w, MailboxWord.DoorbellState, DOORBELL_RUNNING);
      return this.hasWork() ? 'ready' : this.closed ? 'closed' : 'attention';
    }
    Atomics.add(w, MailboxWord.ConsumerParks, 1);
    return null;
  }

  private afterPark(outcome: string): WorkOutcome {
    const w = this.words;
    Atomics.store(w, MailboxWord.DoorbellState, DOORBELL_RUNNING);
    if (this.hasWork()) return 'ready';
    if (Atomics.load(w, MailboxWord.Closed) !== 0) return 'closed';
    if (this.takeAttention()) return 'attention';
    return outcome === 'timed-out' ? 'timed-out' : 'woken';
  }

  /**
   * waitForWork for a consumer that must keep its event loop running (it serves sockets): parks
   * without blocking the thread. In park mode 'atomics' with Atomics.waitAsync (JS producers
   * only); in 'event-loop' by its own eventfd, which native threads can
   * ring (a futex wake from a native thread cannot reach an Atomics waiter).
   */
  async waitForWorkAsync(spinBudget: number, timeoutMs: number): Promise<WorkOutcome> {
    const mode = this.parker.mode;
    if (mode !== ParkMode.Atomics && mode !== ParkMode.EventLoop)
      throw new Error(`mailbox ${this.name}: asynchronous parking needs park mode 'atomics' or 'event-loop'`);
    // Published before the first park: a producer rings the eventfd only once it saw "parked".
    if (mode === ParkMode.EventLoop) this.eventLoop ??= this.registerEventLoop();
    // A short spin first: an event loop wake costs tens of microseconds, and records often come
    // in quick succession. The spin holds the thread only for spinBudget checks.
    const budget = spinBudgetNow(spinBudget);
    try {
      for (let i = 0; i < budget; i++) if (this.hasWork()) return 'ready';
    } finally {
      spinDone(budget);
    }
    const early = this.announcePark();
    if (early) return early;
    if (this.eventLoop) return this.afterPark(await this.eventLoop.wait(timeoutMs));
    const wait = Atomics.waitAsync(this.words, MailboxWord.DoorbellState, DOORBELL_PARKED, timeoutMs < 0 ? Infinity : timeoutMs);
    return this.afterPark(wait.async ? await wait.value : wait.value);
  }

  /** Closes this consumer's event-loop doorbell (the worker's exit closes it too). */
  releaseEventLoop(): void {
    this.eventLoop?.close();
    this.eventLoop = null;
  }

  private registerEventLoop(): EventLoopPark {
    const park = new EventLoopPark();
    // A ring queued before this wait (a stale one) ends it early: afterPark re-checks, as after any wake.
    park.doorbell = new native.EventLoopDoorbell(this.words, park.onRing);
    return park;
  }

  get parkMode(): MailboxParkMode {
    const mode = this.parker.mode;
    return mode === ParkMode.Atomics ? 'atomics' : mode === ParkMode.EventLoop ? 'event-loop' : 'futex';
  }

  private takeAttention(): boolean {
    const now = Atomics.load(this.words, MailboxWord.Attention);
    if (now === this.attentionSeen) return false;
    this.attentionSeen = now;
    return true;
  }

  // ---------------------------------------------------------------- either side

  /** Refuses further enqueues and releases the parked consumer and every waiting producer. */
  close(reason: CloseReason | number = CloseReason.Shutdown): void {
    const w = this.words;
    if (Atomics.compareExchange(w, MailboxWord.Closed, 0, 1) === 0) Atomics.store(w, MailboxWord.CloseReason, reason);
    Atomics.store(w, MailboxWord.DoorbellState, DOORBELL_RUNNING);
    this.parker.wake(w, MailboxWord.DoorbellState, -1);
    Atomics.add(w, MailboxWord.NotFull, 1);
    this.parker.wake(w, MailboxWord.NotFull, -1);
  }

  get closed(): boolean {
    return Atomics.load(this.words, MailboxWord.Closed) !== 0;
  }

  depth(): number {
    const w = this.words;
    return Math.max(0, (Atomics.load(w, MailboxWord.Tail) - Atomics.load(w, MailboxWord.Head)) | 0);
  }

  stats(): MailboxStats {
    const w = this.words;
    const dequeued = this.readDequeued();
    const depth = this.depth();
    return {
      capacity: this.capacity,
      depth,
      enqueued: dequeued + depth,
      dequeued,
      producerWaits: Atomics.load(w, MailboxWord.ProducerWaits) >>> 0,
      producersWaiting: Atomics.load(w, MailboxWord.ProducersWaiting),
      consumerParks: Atomics.load(w, MailboxWord.ConsumerParks) >>> 0,
      closed: this.closed,
    };
  }

  private readDequeued(): number {
    const w = this.words;
    return (Atomics.load(w, MailboxWord.DequeuedHi) >>> 0) * TWO_POW_32 + (Atomics.load(w, MailboxWord.DequeuedLo) >>> 0);
  }
}

/**
 * An event-loop consumer's park: a promise its doorbell or a timeout settles. A consumer parks
 * once or twice a frame, so the handlers and the timeout's timer are made once and reused: a park
 * costs its promise and nothing else. The timer is not cleared on a ring (a cleared timer cannot
 * be re-armed) but unreferenced, so it holds the event loop only while a park is under way as
 * before; should it fire between parks, it finds no park and does nothing.
 */
class EventLoopPark {
  doorbell: { close(): void } | null = null;
  private resolve: ((outcome: string) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = -1;
  private readonly executor = (resolve: (outcome: string) => void): void => {
    this.resolve = resolve;
  };
  readonly onRing = (): void => this.settle('ok');
  private readonly onTimeout = (): void => this.settle('timed-out');

  wait(timeoutMs: number): Promise<string> {
    const parked = new Promise<string>(this.executor);
    if (timeoutMs >= 0) this.armTimer(timeoutMs);
    else this.dropTimer(); // a park without limit: no earlier timer may end it
    return parked;
  }

  private settle(outcome: string): void {
    const resolve = this.resolve;
    if (resolve === null) return; // a stale ring, or a timer that outlived its park
    this.resolve = null;
    this.timer?.unref();
    resolve(outcome);
  }

  /** Arms the timeout from now: the one timer, re-armed while the duration stays the same. */
  private armTimer(ms: number): void {
    if (this.timer !== null && this.timerMs === ms) {
      this.timer.ref().refresh();
      return;
    }
    this.dropTimer();
    this.timer = setTimeout(this.onTimeout, ms);
    this.timerMs = ms;
  }

  private dropTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.dropTimer();
    this.doorbell?.close();
    this.doorbell = null;
  }
}
