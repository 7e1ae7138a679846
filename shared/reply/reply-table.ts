// Reply slots: a requester waits for exactly one answer (values, or an error code) to one
// request. Layout and protocol: docs/shared-memory.md; native/src/core/reply_slot.cpp is the
// C++ side over the same words. Requesters park through the addon's futex, so a native
// responder can wake a JS requester and the reverse.
import { type GiveUpCheck, WaitAbandonedError } from '../wait-abandoned.js';
import { futexParker } from '../doorbell/parker.js';
import { ReplyError, ReplyTimeoutError } from './errors.js';
import { REPLY_HEADER_BYTES, REPLY_MAGIC, REPLY_VALUE_WORDS, ReplyState, ReplyTableWord, ReplyWord, replySlotBytes, replyTableBytes } from './layout.js';
import { spinBudgetNow, spinDone } from '../doorbell/spin-gate.js';

export function createReplyTableBuffer(slots: number, payloadBytes = 0): SharedArrayBuffer {
  if (!Number.isInteger(slots) || slots < 1 || slots > 65536) throw new RangeError(`reply slots must be in [1, 65536], got ${slots}`);
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes % 64 !== 0 || payloadBytes > 1 << 24) {
    throw new RangeError(`reply payload bytes must be a multiple of 64 up to 16 MiB, got ${payloadBytes}`);
  }
  const sab = new SharedArrayBuffer(replyTableBytes(slots, payloadBytes));
  const w = new Int32Array(sab);
  w[ReplyTableWord.SlotCount] = slots;
  w[ReplyTableWord.PayloadBytes] = payloadBytes;
  Atomics.store(w, ReplyTableWord.Magic, REPLY_MAGIC);
  return sab;
}

/** What a finished wait returns: the slot's value words are read with value(). */
export type ReplyOutcome = ReplyState.Replied | ReplyState.Error;

function unanswered(state: number): boolean {
  return state === ReplyState.Pending || state === ReplyState.Claimed;
}

/** Spin between checks of the state word before parking. */
export const DEFAULT_REPLY_SPIN = 2000;
/** A parked requester re-checks at least this often (the supervisor may have failed the slot). */
const RECHECK_MS = 250;

export class ReplyTable {
  readonly words: Int32Array;
  readonly slots: number;
  readonly payloadBytes: number;
  private readonly slotWords: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    const w = new Int32Array(buffer);
    if (Atomics.load(w, ReplyTableWord.Magic) !== REPLY_MAGIC) throw new TypeError('not a reply-table buffer');
    this.words = w;
    this.slots = w[ReplyTableWord.SlotCount]!;
    this.payloadBytes = w[ReplyTableWord.PayloadBytes]!;
    this.slotWords = replySlotBytes(this.payloadBytes) / 4;
    if (buffer.byteLength !== replyTableBytes(this.slots, this.payloadBytes)) throw new TypeError('reply-table size mismatch');
  }

  /** Word index of slot i's first word. */
  base(slot: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`reply slot ${slot} out of range`);
    return (slot + 1) * this.slotWords;
  }

  /** The slot's out-of-band payload bytes. */
  payload(slot: number): Uint8Array {
    return new Uint8Array(this.buffer, this.base(slot) * 4 + REPLY_HEADER_BYTES, this.payloadBytes);
  }

  /** The same payload as words, for a record's generated payload decoders (payload bytes are a multiple of 64). */
  payloadWords(slot: number): Int32Array {
    return new Int32Array(this.buffer, this.base(slot) * 4 + REPLY_HEADER_BYTES, this.payloadBytes / 4);
  }

  // ------------------------------------------------------------ requester

  /** Marks the slot pending for a new request and returns the request id to send along. */
  begin(slot: number): number {
    const b = this.base(slot);
    const w = this.words;
    const stateIndex = b + ReplyWord.State;
    // Take the slot to idle first, waiting out a stale responder that holds it claimed.
    for (;;) {
      const s = Atomics.load(w, stateIndex);
      if (s !== ReplyState.Claimed && Atomics.compareExchange(w, stateIndex, s, ReplyState.Idle) === s) break;
    }
    const id = (w[b + ReplyWord.RequestId]! + 1) | 0;
    Atomics.store(w, b + ReplyWord.RequestId, id);
    Atomics.store(w, b + ReplyWord.ErrorCode, 0);
    Atomics.store(w, stateIndex, ReplyState.Pending);
    return id;
  }

  /**
   * Waits for the answer: spins, then parks. Throws ReplyError on an error reply,
   * ReplyTimeoutError after timeoutMs (< 0: no limit) and WaitAbandonedError when `giveUp`, asked
   * after each park, says so. The slot is idle again afterwards (pending if abandoned).
   */
  wait(slot: number, spinBudget = DEFAULT_REPLY_SPIN, timeoutMs = -1, giveUp: GiveUpCheck | null = null): void {
    const b = this.base(slot);
    const w = this.words;
    const stateIndex = b + ReplyWord.State;
    let state = Atomics.load(w, stateIndex);
    if (unanswered(state)) {
      const budget = spinBudgetNow(spinBudget);
      for (let i = 0; unanswered(state) && i < budget; i++) state = Atomics.load(w, stateIndex);
      spinDone(budget);
    }
    if (unanswered(state)) {
      const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
      Atomics.store(w, b + ReplyWord.Parked, 1);
      while (unanswered((state = Atomics.load(w, stateIndex)))) {
        const left = deadline - performance.now();
        if (left <= 0) {
          Atomics.store(w, b + ReplyWord.Parked, 0);
          throw new ReplyTimeoutError(slot, timeoutMs);
        }
        futexParker.wait(w, stateIndex, ReplyState.Pending, Math.min(left, RECHECK_MS));
        if (giveUp?.() && unanswered(Atomics.load(w, stateIndex))) {
          Atomics.store(w, b + ReplyWord.Parked, 0);
          throw new WaitAbandonedError(`the reply in slot ${slot}`);
        }
      }
      Atomics.store(w, b + ReplyWord.Parked, 0);
    }
    Atomics.store(w, stateIndex, ReplyState.Idle);
    if (state === ReplyState.Error) throw new ReplyError(Atomics.load(w, b + ReplyWord.ErrorCode), slot);
  }

  /** Non-blocking check for requesters that must not block (the main thread). */
  poll(slot: number): ReplyState {
    return Atomics.load(this.words, this.base(slot) + ReplyWord.State);
  }

  /** Async wait for the main thread: polls with growing pauses, never blocks the event loop. */
  async waitAsync(slot: number, timeoutMs = -1): Promise<void> {
    const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
    let pause = 0;
    while (unanswered(this.poll(slot))) {
      if (performance.now() >= deadline) throw new ReplyTimeoutError(slot, timeoutMs);
      await new Promise((resolve) => (pause === 0 ? setImmediate(resolve) : setTimeout(resolve, pause)));
      pause = Math.min(pause + 1, 10);
    }
    this.wait(slot, 0, 0);
  }

  /** Reply value word i (u32) of a slot, valid after wait() returned. */
  value(slot: number, i: number): number {
    if (i < 0 || i >= REPLY_VALUE_WORDS) throw new RangeError(`reply value index ${i}`);
    return Atomics.load(this.words, this.base(slot) + ReplyWord.Values + i) >>> 0;
  }

  // ------------------------------------------------------------ responder

  /** Answers request `id` on `slot`; a stale id or a slot not pending is ignored (returns false). */
  reply(slot: number, id: number, v0 = 0, v1 = 0, v2 = 0, v3 = 0): boolean {
    const b = this.base(slot);
    if (!this.claim(b, id)) return false;
    const w = this.words;
    w[b + ReplyWord.Values] = v0;
    w[b + ReplyWord.Values + 1] = v1;
    w[b + ReplyWord.Values + 2] = v2;
    w[b + ReplyWord.Values + 3] = v3;
    this.finish(b, ReplyState.Replied);
    return true;
  }

  /** Fails request `id` on `slot` with an error code; stale ids are ignored. */
  fail(slot: number, id: number, code: number): boolean {
    const b = this.base(slot);
    if (!this.claim(b, id)) return false;
    Atomics.store(this.words, b + ReplyWord.ErrorCode, code);
    this.finish(b, ReplyState.Error);
    return true;
  }

  /** The supervisor's sweep: fails every pending slot and wakes its requester. Returns how many. */
  failAllPending(code: number): number {
    let n = 0;
    for (let s = 0; s < this.slots; s++) {
      const b = this.base(s);
      if (!this.claim(b, Atomics.load(this.words, b + ReplyWord.RequestId))) continue;
      Atomics.store(this.words, b + ReplyWord.ErrorCode, code);
      this.finish(b, ReplyState.Error);
      n++;
    }
    return n;
  }

  /**
   * Pending → claimed for request `id`. A slot claimed by another responder (a stale one about
   * to put it back) is waited out; a stale id puts the slot back to pending.
   */
  private claim(b: number, id: number): boolean {
    const w = this.words;
    for (;;) {
      const was = Atomics.compareExchange(w, b + ReplyWord.State, ReplyState.Pending, ReplyState.Claimed);
      if (was === ReplyState.Claimed) continue;
      if (was !== ReplyState.Pending) return false;
      break;
    }
    if (Atomics.load(w, b + ReplyWord.RequestId) !== id) {
      Atomics.store(w, b + ReplyWord.State, ReplyState.Pending);
      return false;
    }
    return true;
  }

  private finish(b: number, state: ReplyState): void {
    const w = this.words;
    Atomics.store(w, b + ReplyWord.State, state);
    if (Atomics.load(w, b + ReplyWord.Parked) !== 0) futexParker.wake(w, b + ReplyWord.State, 1);
  }
}
