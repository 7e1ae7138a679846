// Latency recording for benchmarks: Node's built-in HDR histogram (perf_hooks), reported in µs
// as p50/p99/p99.9/max, plus CPU time per operation (process-wide: spinning partners count).
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LatencySummary {
  iterations: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  cpu_us_per_op: number;
}

export class LatencyRecorder {
  private readonly histogram: RecordableHistogram = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
  private cpuStart = process.cpuUsage();

  /** Starts the CPU clock (call after warm-up). */
  start(): void {
    this.histogram.reset();
    this.cpuStart = process.cpuUsage();
  }

  recordMs(elapsedMs: number): void {
    this.histogram.record(Math.max(1, Math.round(elapsedMs * 1e6)));
  }

  recordNs(elapsedNs: number): void {
    this.histogram.record(Math.max(1, Math.round(elapsedNs)));
  }

  summary(): LatencySummary {
    const cpu = process.cpuUsage(this.cpuStart);
    const h = this.histogram;
    const n = h.count;
    return {
      iterations: n,
      p50_us: h.percentile(50) / 1e3,
      p99_us: h.percentile(99) / 1e3,
      p999_us: h.percentile(99.9) / 1e3,
      max_us: h.max / 1e3,
      cpu_us_per_op: n > 0 ? (cpu.user + cpu.system) / n : 0,
    };
  }
}

/** Runs `op` warmup + iterations times, timing each call. */
export function measureSync(iterations: number, warmup: number, op: (i: number) => void): LatencySummary {
  const rec = new LatencyRecorder();
  for (let i = 0; i < warmup; i++) op(i);
  rec.start();
  for (let i = warmup; i < warmup + iterations; i++) {
    const t0 = performance.now();
    op(i);
    rec.recordMs(performance.now() - t0);
  }
  return rec.summary();
}

export async function measureAsync(iterations: number, warmup: number, op: (i: number) => Promise<void>): Promise<LatencySummary> {
  const rec = new LatencyRecorder();
  for (let i = 0; i < warmup; i++) await op(i);
  rec.start();
  for (let i = warmup; i < warmup + iterations; i++) {
    const t0 = performance.now();
    await op(i);
    rec.recordMs(performance.now() - t0);
  }
  return rec.summary();
}
