// `pvg-vmm run --json`: one object for a program to read — the summary's figures, every counter
// the VM's actors keep (vm.stats(), as is), and each vCPU's MMIO read latency histogram with its
// bucket bounds and quantiles, so no reader needs read-latency.ts to make sense of the buckets.
import { READ_LATENCY_BUCKETS, latencyBucketFloorUs, latencyQuantileUs } from '../actors/vcpu/read-latency.js';
import type { VmStats } from '../vmm/vm.js';

export interface LatencyHistogram {
  vcpu: number;
  /** Device reads timed. */
  count: number;
  meanUs: number | null;
  p50Us: number | null;
  p90Us: number | null;
  p99Us: number | null;
  /** The buckets that hold something: round trips from fromUs up to toUs (null: open-ended). */
  buckets: { fromUs: number; toUs: number | null; count: number }[];
}

export interface RunReport {
  /**
   * frames: the guests' own count, since boot; framesAtRestore: that count when the snapshot was
   * saved (null: the VM booted); fps: the frames this run drew (frames - framesAtRestore) per
   * second. Every counter in stats starts at zero on a restore (docs/snapshots.md).
   */
  summary: { frames: number; framesAtRestore: number | null; seconds: number; fps: number };
  readLatency: LatencyHistogram[];
  stats: VmStats;
}

export function runReport(stats: VmStats, elapsedMs: number, restoredAtFrames: number | null = null): RunReport {
  const frames = stats.vcpus.reduce((n, v) => n + (v.guest?.framesDone ?? 0), 0);
  const seconds = elapsedMs / 1000;
  return {
    summary: { frames, framesAtRestore: restoredAtFrames, seconds, fps: ((frames - (restoredAtFrames ?? 0)) * 1000) / Math.max(1, elapsedMs) },
    readLatency: stats.vcpus.map((v) => {
      const h = v.bus.readLatency;
      return {
        vcpu: v.vcpu,
        count: h.count,
        meanUs: h.count > 0 ? h.totalUs / h.count : null,
        p50Us: latencyQuantileUs(h.buckets, 0.5),
        p90Us: latencyQuantileUs(h.buckets, 0.9),
        p99Us: latencyQuantileUs(h.buckets, 0.99),
        buckets: h.buckets.flatMap((count, i) =>
          count > 0 ? [{ fromUs: latencyBucketFloorUs(i), toUs: i + 1 < READ_LATENCY_BUCKETS ? latencyBucketFloorUs(i + 1) : null, count }] : [],
        ),
      };
    }),
    stats,
  };
}
