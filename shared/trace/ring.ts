// One thread's trace ring (single writer) inside a trace-ring set SAB. The layout and the
// per-event seqlock are in docs/shared-memory.md; native/src/core/trace_ring.cpp writes the
// same format from engine threads.
import { monotonicMicros } from './clock.js';
import {
  TRACE_EVENT_BYTES,
  TRACE_MAGIC,
  TRACE_RING_HEADER_BYTES,
  TRACE_SET_HEADER_BYTES,
  TraceEventByte,
  TracePhase,
  TraceRingWord,
  TraceSetWord,
  traceRingBytes,
  traceSetBytes,
} from './layout.js';

export function createTraceSetBuffer(rings: number, eventsPerRing: number): SharedArrayBuffer {
  if (!Number.isInteger(rings) || rings < 1 || rings > 4096) throw new RangeError(`trace rings must be in [1, 4096], got ${rings}`);
  if (!Number.isInteger(eventsPerRing) || eventsPerRing < 2 || (eventsPerRing & (eventsPerRing - 1)) !== 0 || eventsPerRing > 1 << 22) {
    throw new RangeError(`events per ring must be a power of two in [2, 2^22], got ${eventsPerRing}`);
  }
  const sab = new SharedArrayBuffer(traceSetBytes(rings, eventsPerRing));
  const w = new Int32Array(sab);
  w[TraceSetWord.RingCount] = rings;
  w[TraceSetWord.EventsPerRing] = eventsPerRing;
  Atomics.store(w, TraceSetWord.Magic, TRACE_MAGIC);
  return sab;
}

export interface TraceSetInfo {
  rings: number;
  eventsPerRing: number;
}

export function traceSetInfo(sab: SharedArrayBuffer): TraceSetInfo {
  const w = new Int32Array(sab, 0, 16);
  if (Atomics.load(w, TraceSetWord.Magic) !== TRACE_MAGIC) throw new TypeError('not a trace-ring set');
  const info = { rings: w[TraceSetWord.RingCount]!, eventsPerRing: w[TraceSetWord.EventsPerRing]! };
  if (sab.byteLength !== traceSetBytes(info.rings, info.eventsPerRing)) throw new TypeError('trace-ring set size mismatch');
  return info;
}

/** Byte offset of ring r's header. */
export function ringOffset(info: TraceSetInfo, ring: number): number {
  if (!Number.isInteger(ring) || ring < 0 || ring >= info.rings) throw new RangeError(`trace ring ${ring} out of range`);
  return TRACE_SET_HEADER_BYTES + ring * traceRingBytes(info.eventsPerRing);
}

export class TraceRingWriter {
  private readonly header: Int32Array;
  private readonly setHeader: Int32Array;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly u16: Uint16Array;
  private readonly u8: Uint8Array;
  private readonly mask: number;
  private written: number;
  /** Whether events are recorded; off costs one branch per call site. */
  enabled = true;

  constructor(sab: SharedArrayBuffer, ring: number, threadId = 0) {
    this.setHeader = new Int32Array(sab, 0, TRACE_SET_HEADER_BYTES / 4);
    const info = traceSetInfo(sab);
    const at = ringOffset(info, ring);
    this.header = new Int32Array(sab, at, TRACE_RING_HEADER_BYTES / 4);
    const events = at + TRACE_RING_HEADER_BYTES;
    const bytes = info.eventsPerRing * TRACE_EVENT_BYTES;
    this.f64 = new Float64Array(sab, events, bytes / 8);
    this.i32 = new Int32Array(sab, events, bytes / 4);
    this.u16 = new Uint16Array(sab, events, bytes / 2);
    this.u8 = new Uint8Array(sab, events, bytes);
    this.mask = info.eventsPerRing - 1;
    this.written = Atomics.load(this.header, TraceRingWord.Written) >>> 0;
    Atomics.store(this.header, TraceRingWord.ThreadId, threadId);
  }

  write(id: number, phase: TracePhase, ts: number, dur = 0, a0 = 0, a1 = 0, a2 = 0): void {
    if (!this.enabled || Atomics.load(this.setHeader, TraceSetWord.Paused) !== 0) return;
    const n = this.written;
    const e = (n & this.mask) * TRACE_EVENT_BYTES;
    const seqIndex = (e + TraceEventByte.Sequence) >> 2;
    Atomics.store(this.i32, seqIndex, (2 * n + 1) | 0);
    const f = e >> 3;
    this.f64[f] = ts;
    this.f64[f + 1] = dur;
    this.f64[f + 2] = a0;
    this.f64[f + 3] = a1;
    this.f64[f + 4] = a2;
    this.u16[(e + TraceEventByte.EventId) >> 1] = id;
    this.u8[e + TraceEventByte.Phase] = phase;
    Atomics.store(this.i32, seqIndex, (2 * n + 2) | 0);
    this.written = (n + 1) >>> 0;
    Atomics.store(this.header, TraceRingWord.Written, this.written | 0);
  }

  instant(id: number, a0 = 0, a1 = 0, a2 = 0): void {
    this.write(id, TracePhase.Instant, monotonicMicros(), 0, a0, a1, a2);
  }

  /** A complete span from `start` (monotonicMicros) to now. */
  span(id: number, start: number, a0 = 0, a1 = 0, a2 = 0): void {
    if (!this.enabled) return;
    this.write(id, TracePhase.Complete, start, monotonicMicros() - start, a0, a1, a2);
  }

  /** A counter sample; `series` (≥ 0) separates several values of one counter (e.g. per display). */
  counter(id: number, value: number, series = -1): void {
    this.write(id, TracePhase.Counter, monotonicMicros(), 0, value, series);
  }

  /** A flow arrow's middle: the request identified by flowId is being handled here. */
  flowStep(id: number, flowId: number, ts = monotonicMicros()): void {
    this.write(id, TracePhase.FlowStep, ts, 0, flowId);
  }

  flowStart(id: number, flowId: number, ts = monotonicMicros()): void {
    this.write(id, TracePhase.FlowStart, ts, 0, flowId);
  }

  flowEnd(id: number, flowId: number, ts = monotonicMicros()): void {
    this.write(id, TracePhase.FlowEnd, ts, 0, flowId);
  }
}

/** Pauses (true) or resumes (false) every writer of a trace-ring set, JS and native alike. */
export function setTracePaused(sab: SharedArrayBuffer, paused: boolean): void {
  Atomics.store(new Int32Array(sab, 0, TRACE_SET_HEADER_BYTES / 4), TraceSetWord.Paused, paused ? 1 : 0);
}
