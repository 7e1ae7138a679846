// Per-frame latency: from the engine posting a new-frame event (its stamp, CLOCK_MONOTONIC) to that frame
// (or a newer one) reaching the display — the sinks told, as QEMU's dpy_gfx_update does. Under
// the actor model that is when the encode's rectangles are copied into the frame store; under
// the qemu model, the next refresh tick after it (GUI_REFRESH_INTERVAL_DEFAULT). A log-linear
// histogram (the read-latency buckets, in 16 µs units so it reaches about half a second), so
// two snapshots subtract bucket by bucket.
import { READ_LATENCY_BUCKETS, latencyBucket, latencyQuantileUs } from '../vcpu/read-latency.js';
import { monotonicMicros } from '../../shared/trace/clock.js';

const UNIT_US = 16;

export interface FrameLatencyStats {
  count: number;
  totalUs: number;
  /** READ_LATENCY_BUCKETS counts, each bucket latencyBucketFloorUs(i) × 16 µs wide at its floor. */
  buckets: number[];
}

export class FrameLatency {
  private readonly buckets = new Float64Array(READ_LATENCY_BUCKETS);
  private count = 0;
  private totalUs = 0;
  /** Stamp of the oldest frame not shown yet; -1: none waits. */
  private oldest = -1;

  /** A new frame arrived, stamped `stamp` by the engine. */
  arrived(stamp: number): void {
    if (this.oldest < 0) this.oldest = stamp >>> 0;
  }

  /** The display now shows every frame that arrived so far. */
  shown(): void {
    if (this.oldest < 0) return;
    const us = ((monotonicMicros() >>> 0) - this.oldest) >>> 0; // wraps with the stamps
    this.oldest = -1;
    this.buckets[latencyBucket(us / UNIT_US)]!++;
    this.count++;
    this.totalUs += us;
  }

  stats(): FrameLatencyStats {
    return { count: this.count, totalUs: this.totalUs, buckets: Array.from(this.buckets) };
  }
}

/** The q-quantile of a frame-latency histogram (or a difference of two), in µs; null when empty. */
export function frameLatencyQuantileUs(buckets: readonly number[], q: number): number | null {
  const v = latencyQuantileUs(buckets, q);
  return v === null ? null : v * UNIT_US;
}
