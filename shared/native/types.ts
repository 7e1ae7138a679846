// The JavaScript face of the C++ addon (native/src/addon). Every typed array is an Int32Array
// over a SharedArrayBuffer; threads the addon starts never call JavaScript.

export type FutexWaitResult = 'ok' | 'not-equal' | 'timed-out';

export interface ProducerOptions {
  threads: number;
  perThread: number;
  kind: number;
  producerIdBase: number;
  seed: number;
  maxJitterUs: number;
  trace?: { ring: Int32Array; firstRing: number };
}

export interface NativeHandle {
  readonly __brand?: 'NativeHandle';
}

export interface NativeAddon {
  futexWait(words: Int32Array, index: number, expected: number, timeoutMs?: number): FutexWaitResult;
  futexWake(words: Int32Array, index: number, count?: number): number;
  monotonicMicros(): number;
  threadCpuMicros(): number;
  currentThreadId(): number;
  startProducers(mailbox: Int32Array, opts: ProducerOptions): NativeHandle;
  producersDone(handle: NativeHandle): boolean;
  joinProducers(handle: NativeHandle): { enqueued: number; errors: number };
  startEchoServer(mailbox: Int32Array, replies: Int32Array, opts: { spinBudget: number }): NativeHandle;
  stopEchoServer(handle: NativeHandle): { handled: number; ignored: number };
  nativeRequester(
    mailbox: Int32Array,
    replies: Int32Array,
    opts: { slot: number; iterations: number; spinBudget: number; kind: number },
  ): NativeHandle;
  joinRequester(handle: NativeHandle): { latenciesNs: Float64Array; errors: number };
  requesterDone(handle: NativeHandle): boolean;
  /** The C++ producer path, from JS (for cross-checks). */
  mailboxEnqueue(mailbox: Int32Array, kind: number, args: ArrayLike<number>, timeoutMs?: number): 'ok' | 'closed' | 'timed-out';
  /** The C++ consumer path; only the mailbox's single consumer may call it. */
  mailboxTryDequeue(mailbox: Int32Array): { kind: number; args: Uint32Array } | null;
  mailboxClose(mailbox: Int32Array, reason: number): void;
}
