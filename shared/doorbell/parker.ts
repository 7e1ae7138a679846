// How a thread sleeps on a SAB word and how another wakes it. Futex parking goes through the
// addon, so native threads can wake the sleeper; V8's Atomics.wait cannot be woken by a native
// thread (docs/design.md, "Doorbells") but needs no addon call, so it stays available for
// JS-only pairs.
import { MailboxWord, ParkMode } from '../mailbox/layout.js';
import { native } from '../native/addon.js';
import type { FutexWaitResult } from '../native/types.js';

/** futexWait's result (abi/schema/binding-strings.ts); Atomics.wait's strings are the same. */
export type WaitOutcome = FutexWaitResult;

export interface Parker {
  readonly mode: ParkMode;
  wait(words: Int32Array, index: number, expected: number, timeoutMs: number): WaitOutcome;
  wake(words: Int32Array, index: number, count: number): number;
}

export const futexParker: Parker = {
  mode: ParkMode.Futex,
  wait: (words, index, expected, timeoutMs) => native.futexWait(words, index, expected, timeoutMs),
  wake: (words, index, count) => native.futexWake(words, index, count),
};

/**
 * Sleeps while `a[indexA] === expectedA` and `b[indexB] === expectedB`: a futex wake on either
 * word (from JavaScript or native code) or a change of either ends it (Linux futex_waitv).
 */
export function futexWaitEither(
  a: Int32Array,
  indexA: number,
  expectedA: number,
  b: Int32Array,
  indexB: number,
  expectedB: number,
  timeoutMs: number,
): WaitOutcome {
  return native.futexWaitEither(a, indexA, expectedA, b, indexB, expectedB, timeoutMs);
}

export const atomicsParker: Parker = {
  mode: ParkMode.Atomics,
  wait: (words, index, expected, timeoutMs) => Atomics.wait(words, index, expected, timeoutMs < 0 ? Infinity : timeoutMs),
  wake: (words, index, count) => Atomics.notify(words, index, count < 0 ? Infinity : count),
};

/**
 * A mailbox whose consumer is an event loop (park mode EventLoop): it parks asynchronously and
 * is woken through an eventfd it published in the mailbox header (Mailbox.waitForWorkAsync),
 * which native producers write to as well; producers waiting on a full mailbox still sleep on the
 * futex. `words` is the whole mailbox: a wake of its doorbell word rings the event loop.
 */
export const eventLoopParker: Parker = {
  mode: ParkMode.EventLoop,
  wait: futexParker.wait,
  wake: (words, index, count) => (index === MailboxWord.DoorbellState ? native.ringEventLoop(words, count) : native.futexWake(words, index, count)),
};

export function parkerFor(mode: number): Parker {
  if (mode === ParkMode.Futex) return futexParker;
  if (mode === ParkMode.Atomics) return atomicsParker;
  if (mode === ParkMode.EventLoop) return eventLoopParker;
  throw new RangeError(`unknown park mode ${mode}`);
}
