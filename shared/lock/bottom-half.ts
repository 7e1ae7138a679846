// A bottom half under the qemu model's BQL: get the lock as a BH does (taken, or lent by a vCPU
// waiting in AIO_WAIT_WHILE: Bql.bhEnter), run the work, give it back; traced as a `bh` span
// (argument 1 when lent) after a `lock_wait` span if it waited.
import type { BhEntry, Bql } from './bql.js';
import { monotonicMicros } from '../trace/clock.js';
import { TRACE_EVENTS } from '../trace/events.js';
import type { TraceRingWriter } from '../trace/ring.js';

export function runBottomHalf<T>(bql: Bql, tag: number, trace: TraceRingWriter | null, work: () => T, onEntry?: (entry: BhEntry) => void): T {
  const start = trace ? monotonicMicros() : 0;
  const { entry, waitedMs } = bql.bhEnter(tag);
  const held = trace ? monotonicMicros() : 0;
  if (waitedMs > 0) trace?.span(TRACE_EVENTS.lock_wait, start);
  onEntry?.(entry);
  try {
    return work();
  } finally {
    bql.bhExit(entry);
    trace?.span(TRACE_EVENTS.bh, held, entry === 'lent' ? 1 : 0);
  }
}
