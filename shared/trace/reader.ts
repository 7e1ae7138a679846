// Drains trace rings while their writers keep writing: each event is copied under its seqlock,
// and events overwritten before they were read are counted as lost, never shown torn.
import { TRACE_EVENT_BYTES, TRACE_RING_HEADER_BYTES, TraceEventByte, TraceRingWord } from './layout.js';
import { ringOffset, traceSetInfo, type TraceSetInfo } from './ring.js';

export interface TraceEvent {
  ring: number;
  ts: number;
  dur: number;
  id: number;
  phase: number;
  args: [number, number, number];
}

export interface DrainResult {
  events: TraceEvent[];
  /** Events overwritten (ring wrapped) or caught mid-write before they could be read. */
  lost: number;
}

export class TraceSetReader {
  private readonly info: TraceSetInfo;
  private readonly cursors: number[];

  constructor(private readonly sab: SharedArrayBuffer) {
    this.info = traceSetInfo(sab);
    this.cursors = new Array<number>(this.info.rings).fill(0);
  }

  get rings(): number {
    return this.info.rings;
  }

  threadId(ring: number): number {
    return Atomics.load(new Int32Array(this.sab, ringOffset(this.info, ring), 4), TraceRingWord.ThreadId);
  }

  /** Reads every event written since the last drain, ring by ring. */
  drain(): DrainResult {
    const events: TraceEvent[] = [];
    let lost = 0;
    for (let r = 0; r < this.info.rings; r++) lost += this.drainRing(r, events);
    return { events, lost };
  }

  private drainRing(ring: number, out: TraceEvent[]): number {
    const at = ringOffset(this.info, ring);
    const header = new Int32Array(this.sab, at, TRACE_RING_HEADER_BYTES / 4);
    const base = at + TRACE_RING_HEADER_BYTES;
    const cap = this.info.eventsPerRing;
    const written = Atomics.load(header, TraceRingWord.Written) >>> 0;
    let from = this.cursors[ring]!;
    let lost = 0;
    if (written - from > cap) {
      lost += written - from - cap;
      from = written - cap;
    }
    const i32 = new Int32Array(this.sab, base, (cap * TRACE_EVENT_BYTES) / 4);
    const f64 = new Float64Array(this.sab, base, (cap * TRACE_EVENT_BYTES) / 8);
    const u16 = new Uint16Array(this.sab, base, (cap * TRACE_EVENT_BYTES) / 2);
    const u8 = new Uint8Array(this.sab, base, cap * TRACE_EVENT_BYTES);
    for (let n = from; n < written; n++) {
      const e = (n % cap) * TRACE_EVENT_BYTES;
      const seqIndex = (e + TraceEventByte.Sequence) >> 2;
      const done = (2 * n + 2) | 0;
      if (Atomics.load(i32, seqIndex) !== done) {
        lost++;
        continue;
      }
      const f = e >> 3;
      const event: TraceEvent = {
        ring,
        ts: f64[f]!,
        dur: f64[f + 1]!,
        args: [f64[f + 2]!, f64[f + 3]!, f64[f + 4]!],
        id: u16[(e + TraceEventByte.EventId) >> 1]!,
        phase: u8[e + TraceEventByte.Phase]!,
      };
      if (Atomics.load(i32, seqIndex) !== done) {
        lost++;
        continue;
      }
      out.push(event);
    }
    this.cursors[ring] = written;
    Atomics.add(header, TraceRingWord.DroppedOnRead, lost);
    return lost;
  }
}
