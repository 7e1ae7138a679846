// A vCPU's MMIO read round trips in a small fixed-bucket histogram: cheap to record on the read
// path, and two snapshots subtract bucket by bucket to give the latency over an interval.
export interface ReadLatencyStats {
  /** Reads timed (device reads that were answered). */
  count: number;
  totalUs: number;
  /** READ_LATENCY_BUCKETS counts; bucket i holds round trips from latencyBucketFloorUs(i) up to the next floor. */
  buckets: number[];
}

/**
 * Log-linear buckets: quarter-µs steps below 2 µs, then four per doubling (a bucket's middle is
 * within about 11% of what it holds), the last open-ended (from about 29 ms). Fixed, so
 * snapshots subtract bucket by bucket.
 */
export const READ_LATENCY_BUCKETS = 64;

export function latencyBucket(us: number): number {
  const q = Math.min(Math.floor(us * 4), 0x3fffffff); // quarter µs; NaN and negatives land in 0
  if (!(q >= 8)) return q > 0 ? q : 0;
  const e = 31 - Math.clz32(q); // q in [2^e, 2^(e+1)), e >= 3
  return Math.min(8 + (e - 3) * 4 + ((q >>> (e - 2)) & 3), READ_LATENCY_BUCKETS - 1);
}

export function latencyBucketFloorUs(i: number): number {
  if (i < 8) return i / 4;
  const e = 3 + ((i - 8) >> 2);
  return ((4 + ((i - 8) & 3)) * 2 ** (e - 2)) / 4;
}

/**
 * The q-quantile (0 < q <= 1) of a histogram's counts (say, the difference of two snapshots'
 * buckets), as the middle of its bucket; null when it holds nothing.
 */
export function latencyQuantileUs(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((n, c) => n + c, 0);
  if (!(total > 0)) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= rank) return i >= READ_LATENCY_BUCKETS - 1 ? latencyBucketFloorUs(i) : (latencyBucketFloorUs(i) + latencyBucketFloorUs(i + 1)) / 2;
  }
  return latencyBucketFloorUs(buckets.length - 1);
}
