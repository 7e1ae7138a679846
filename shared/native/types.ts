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
  stopEchoServer(handle: NativeHandle): { handled: number };
  nativeRequester(
    mailbox: Int32Array,
    replies: Int32Array,
    opts: { slot: number; iterations: number; spinBudget: number; kind: number },
  ): NativeHandle;
  joinRequester(handle: NativeHandle): { latenciesNs: Float64Array; errors: number };
}
