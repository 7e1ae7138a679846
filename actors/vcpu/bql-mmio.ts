// An MMIO access under the `qemu` threading model, as upstream apple-gfx does it
// (hw/display/apple-gfx.m apple_gfx_read/apple_gfx_write, apple-gfx-mmio.m iosfc_read/write):
// the vCPU thread holds the BQL for the whole access (QEMU's memory dispatch takes it for a
// device without lockless I/O), hands the access to another thread (there dispatch_async_f to a
// GCD queue; here the record to the device actor, which hands it to the engine), and waits in
// AIO_WAIT_WHILE(NULL, !job.completed): polling the main AioContext, which runs the bottom halves
// that callbacks scheduled meanwhile (here: lending the lock to the BH's thread, Bql.serveLend).
// Reads and writes both wait: upstream has no posted writes.
import type { Mailbox } from '../../shared/mailbox/mailbox.js';
import { Bql } from '../../shared/lock/bql.js';
import { PostedWrites, PostedWritesTimeoutError } from '../../shared/mmio/completion.js';
import { ReplyTimeoutError } from '../../shared/reply/errors.js';
import { ReplyState, ReplyWord } from '../../shared/reply/layout.js';
import type { ReplyTable } from '../../shared/reply/reply-table.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import type { TraceRingWriter } from '../../shared/trace/ring.js';
import { WaitAbandonedError, type GiveUpCheck } from '../../shared/wait-abandoned.js';

/** Checks of the completion before the first park: the actor model's reply spin, for a fair comparison. */
const SPIN = 2000;
/**
 * A parked waiter looks again at least this often: for room in a full mailbox (nothing wakes it
 * for that) and for the VM stopping. Completions and BH requests wake it (Bql.aioPark).
 */
const PARK_MS = 1;
const ANSWER_PARK_MS = 20;
/** A wait longer than this is a hung device: the same limit as a plain posted-write wait. */
const HUNG_MS = 30_000;

export class BqlMmio {
  /** Where lock holds, lock waits, AIO waits and lent BHs are traced; null: not traced. */
  trace: TraceRingWriter | null = null;

  constructor(
    private readonly bql: Bql,
    private readonly tag: number,
    private readonly replies: ReplyTable,
    private readonly slot: number,
    private readonly completionWords: Int32Array,
    private readonly vcpu: number,
    private readonly writes: PostedWrites,
    private readonly giveUp: GiveUpCheck | null,
  ) {}

  /**
   * A read: under the BQL, post the record (waiting for room as part of the AIO wait), then wait
   * for the reply. Returns with the slot answered; the caller reads its value and idles it.
   */
  read(mailbox: Mailbox, post: (m: Mailbox) => boolean): void {
    const stateIndex = this.replies.base(this.slot) + ReplyWord.State;
    const parkedIndex = stateIndex - ReplyWord.State + ReplyWord.Parked;
    const w = this.replies.words;
    this.locked(() => {
      const hung = () => new ReplyTimeoutError(this.slot, HUNG_MS);
      this.until(
        () => post(mailbox),
        () => this.bql.aioPark(w, stateIndex, Atomics.load(w, stateIndex), PARK_MS),
        hung,
      );
      const unanswered = () => {
        const s = Atomics.load(w, stateIndex);
        return s === ReplyState.Pending || s === ReplyState.Claimed;
      };
      this.until(
        () => !unanswered(),
        () => {
          Atomics.store(w, parkedIndex, 1);
          const s = Atomics.load(w, stateIndex);
          if (s === ReplyState.Pending || s === ReplyState.Claimed) this.bql.aioPark(w, stateIndex, s, ANSWER_PARK_MS);
          Atomics.store(w, parkedIndex, 0);
        },
        hung,
      );
    });
  }

  /** A write: under the BQL, post it and wait until the engine carried it out. */
  write(mailbox: Mailbox, post: (m: Mailbox) => boolean): void {
    const completedIndex = this.writes.completedIndex;
    const w = this.completionWords;
    this.locked(() => {
      this.writes.beforeWrite();
      const hung = () => new PostedWritesTimeoutError(this.writes.outstanding(), HUNG_MS);
      this.until(
        () => post(mailbox),
        () => this.bql.aioPark(w, completedIndex, Atomics.load(w, completedIndex), PARK_MS),
        hung,
      );
      this.until(
        () => this.writes.outstanding() <= 0,
        () => this.writes.parkOnce(ANSWER_PARK_MS, this.aioWait),
        hung,
      );
    });
  }

  /** Takes the BQL, runs `access` in AIO_WAIT_WHILE, lets the lock go; traced as spans on this vCPU's track. */
  private locked(access: () => void): void {
    const traced = this.trace;
    const t0 = traced ? monotonicMicros() : 0;
    if (this.bql.lock(this.tag, this.giveUp) > 0) traced?.span(TRACE_EVENTS.lock_wait, t0);
    const held = traced ? monotonicMicros() : 0;
    const aioStart = performance.now();
    this.bql.aioEnter();
    try {
      access();
    } finally {
      this.bql.aioLeave(performance.now() - aioStart, this.onLend, this.giveUp);
      traced?.span(TRACE_EVENTS.aio_wait, held, this.vcpu);
      this.bql.unlock();
      traced?.span(TRACE_EVENTS.bql_hold, held, this.vcpu);
    }
  }

  /** AIO_WAIT_WHILE(NULL, !done()): spin, then park in short naps, running (lending to) BHs between looks. */
  private until(done: () => boolean, park: () => void, hung: () => Error): void {
    for (let i = 0; i < SPIN; i++) {
      if (done()) return;
      if ((i & 63) === 0 && this.bql.serveLend(this.onLend, this.giveUp)) i = 0;
    }
    const deadline = performance.now() + HUNG_MS;
    while (!done()) {
      if (this.bql.serveLend(this.onLend, this.giveUp)) continue;
      park();
      if (this.giveUp?.() && !done()) throw new WaitAbandonedError('an MMIO access under the BQL');
      if (performance.now() > deadline) throw hung();
    }
  }

  /** A Parker-shaped sleep that a BH's request also ends. */
  private readonly aioWait = (words: Int32Array, index: number, expected: number, timeoutMs: number): 'ok' => {
    this.bql.aioPark(words, index, expected, timeoutMs);
    return 'ok';
  };

  /** A lent stretch as a span on this vCPU's track: aio_poll running a bottom half. */
  private readonly onLend = (start: number): void => {
    if (!this.trace) return;
    const startUs = monotonicMicros() - (performance.now() - start) * 1000;
    this.trace.span(TRACE_EVENTS.aio_poll_bh, startUs, this.vcpu);
  };
}
