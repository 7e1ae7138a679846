// The soak's verdict: how much each memory figure grew after warm-up, and whether that is flat.
// Pure functions over the samples (test/vmm/soak.test.ts checks them on made-up series).
import { median } from '../spread.js';

export interface SoakSample {
  /** Guest frames done so far, summed over the devices. */
  frames: number;
  elapsedMs: number;
  /** process.memoryUsage(): the whole process (every worker and native thread) … */
  rssBytes: number;
  /** … the main thread's JS heap, its external memory and its ArrayBuffers (after a gc when --expose-gc). */
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** The C heap in use (glibc mallinfo2: arenas + mmapped chunks), or null where unavailable. */
  nativeBytes: number | null;
  /**
   * RSS and the C heap before the workers' garbage was collected (--no-worker-gc: the same as
   * above): what the process really held, garbage a worker had not collected yet included.
   */
  heldRssBytes: number;
  heldNativeBytes: number | null;
  /** Frames per second since the previous sample. */
  fps: number;
  /** The VM's own bookkeeping, summed over devices: live tasks and mappings, device errors so far. */
  tasks: number;
  mappings: number;
  guestErrors: number;
}

export type MetricName = 'rss' | 'jsHeap' | 'external' | 'arrayBuffers' | 'native';

export const METRICS: readonly { name: MetricName; label: string; read: (s: SoakSample) => number | null }[] = [
  { name: 'rss', label: 'rss', read: (s) => s.rssBytes },
  { name: 'jsHeap', label: 'js heap', read: (s) => s.heapUsedBytes },
  { name: 'external', label: 'external', read: (s) => s.externalBytes },
  { name: 'arrayBuffers', label: 'arrayBuffers', read: (s) => s.arrayBuffersBytes },
  { name: 'native', label: 'native heap', read: (s) => s.nativeBytes },
];

export interface GrowthBounds {
  /** Growth at or above this many bytes is not flat. */
  maxGrowthBytes: number;
  /** Growth at or above this share of the baseline (percent) is not flat … */
  maxGrowthPercent: number;
  /** … unless it is below this many bytes (a sampled heap's noise floor). */
  noiseFloorBytes: number;
}

export const DEFAULT_BOUNDS: GrowthBounds = { maxGrowthBytes: 16 * 2 ** 20, maxGrowthPercent: 5, noiseFloorBytes: 2 ** 20 };

export interface MetricGrowth {
  name: MetricName;
  label: string;
  /**
   * At the first and the last sample after warm-up, on the line through the medians of the
   * first and the last third of those samples (robust to a sample taken just before a worker
   * freed its garbage). growthBytes = endBytes - baselineBytes.
   */
  baselineBytes: number;
  endBytes: number;
  growthBytes: number;
  growthPercent: number;
  /** The highest sample after warm-up, above the baseline. */
  peakBytes: number;
  /** Least-squares slope over the samples after warm-up, bytes per 1000 frames. */
  slopeBytesPerKFrame: number;
  flat: boolean;
}

export type Verdict = 'flat' | 'growing' | 'inconclusive';

export interface SoakAnalysis {
  warmupFrames: number;
  /** Samples after warm-up (the ones the growth is measured on). */
  measuredSamples: number;
  metrics: MetricGrowth[];
  /**
   * The highest RSS and C heap seen before the forced collections, after warm-up: what the
   * process really held at worst, garbage not yet collected included (not part of the verdict).
   */
  heldPeak: { rssBytes: number | null; nativeBytes: number | null };
  verdict: Verdict;
  verdictLine: string;
}

const MIB = 2 ** 20;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Samples after warm-up needed for a verdict (two per third at least). */
export const MIN_MEASURED_SAMPLES = 6;

function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function mib(bytes: number, sign = false): string {
  const v = (bytes / MIB).toFixed(1);
  return sign && bytes >= 0 ? `+${v}` : v;
}

/** The growth after warm-up of every metric, and the verdict. */
export function analyze(samples: readonly SoakSample[], warmupFrames: number, bounds: GrowthBounds = DEFAULT_BOUNDS): SoakAnalysis {
  const measured = samples.filter((s) => s.frames >= warmupFrames);
  const metrics: MetricGrowth[] = [];
  for (const m of METRICS) {
    const values = measured.map((s) => ({ x: s.frames, y: m.read(s) })).filter((p): p is { x: number; y: number } => p.y !== null);
    if (values.length === 0) continue;
    // A line through the medians of the first and last thirds (frames and bytes), read at the
    // window's first and last sample: one sample off (a collection landing just before it)
    // moves a median little, where it would move a mean, an end point or a least-squares fit.
    const third = Math.max(1, Math.floor(values.length / 3));
    const first = values.slice(0, third);
    const lastThird = values.slice(-third);
    const [x1, y1] = [median(first.map((p) => p.x)), median(first.map((p) => p.y))];
    const [x3, y3] = [median(lastThird.map((p) => p.x)), median(lastThird.map((p) => p.y))];
    const perFrame = x3 > x1 ? (y3 - y1) / (x3 - x1) : 0;
    const baselineBytes = y1 - perFrame * (x1 - values[0]!.x);
    const endBytes = y3 + perFrame * (values.at(-1)!.x - x3);
    const growthBytes = endBytes - baselineBytes;
    const growthPercent = baselineBytes > 0 ? (100 * growthBytes) / baselineBytes : 0;
    const flat = growthBytes < bounds.maxGrowthBytes && (growthPercent < bounds.maxGrowthPercent || growthBytes < bounds.noiseFloorBytes);
    metrics.push({
      name: m.name,
      label: m.label,
      baselineBytes,
      endBytes,
      growthBytes,
      growthPercent,
      peakBytes: Math.max(...values.map((p) => p.y)) - baselineBytes,
      slopeBytesPerKFrame: slope(values) * 1000,
      flat,
    });
  }
  const rule = `growth after warm-up under ${mib(bounds.maxGrowthBytes)} MiB and under ${bounds.maxGrowthPercent}% (or under ${mib(bounds.noiseFloorBytes)} MiB)`;
  let verdict: Verdict;
  let verdictLine: string;
  if (measured.length < MIN_MEASURED_SAMPLES) {
    verdict = 'inconclusive';
    verdictLine = `verdict: inconclusive — ${measured.length} samples after warm-up, ${MIN_MEASURED_SAMPLES} needed (more --frames, or a smaller --every)`;
  } else {
    const growing = metrics.filter((m) => !m.flat);
    verdict = growing.length === 0 ? 'flat' : 'growing';
    verdictLine =
      growing.length === 0
        ? `verdict: flat — every metric's ${rule}`
        : `verdict: growing — ${growing.map((m) => `${m.label} ${mib(m.growthBytes, true)} MiB (${m.growthPercent >= 0 ? '+' : ''}${m.growthPercent.toFixed(1)}%)`).join(', ')}; flat means ${rule}`;
  }
  const heldNative = measured.map((s) => s.heldNativeBytes).filter((v): v is number => v !== null);
  const heldPeak = {
    rssBytes: measured.length > 0 ? Math.max(...measured.map((s) => s.heldRssBytes)) : null,
    nativeBytes: heldNative.length > 0 ? Math.max(...heldNative) : null,
  };
  return { warmupFrames, measuredSamples: measured.length, metrics, heldPeak, verdict, verdictLine };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The samples as a table (at most maxRows, evenly thinned; the first and last always shown). */
export function samplesTable(samples: readonly SoakSample[], warmupFrames: number, maxRows = 40): string {
  let shown = [...samples];
  if (shown.length > maxRows) {
    const step = (shown.length - 1) / (maxRows - 1);
    shown = Array.from({ length: maxRows }, (_, i) => samples[Math.round(i * step)]!);
  }
  const rows = shown.map((s) => [
    `${s.frames}${s.frames < warmupFrames ? '*' : ''}`,
    (s.elapsedMs / 1000).toFixed(1),
    s.fps.toFixed(0),
    mib(s.rssBytes),
    mib(s.heapUsedBytes),
    mib(s.externalBytes),
    mib(s.arrayBuffersBytes),
    s.nativeBytes === null ? 'n/a' : mib(s.nativeBytes),
    s.heldNativeBytes === null ? 'n/a' : mib(s.heldNativeBytes),
    String(s.tasks),
    String(s.mappings),
  ]);
  return table(
    ['frames', 's', 'fps', 'rss MiB', 'js heap MiB', 'external MiB', 'arrayBuffers MiB', 'native MiB', 'held native MiB', 'tasks', 'mappings'],
    rows,
  );
}

export function growthTable(analysis: SoakAnalysis): string {
  const rows = analysis.metrics.map((m) => [
    m.label,
    mib(m.baselineBytes),
    mib(m.endBytes),
    mib(m.growthBytes, true),
    `${m.growthPercent >= 0 ? '+' : ''}${m.growthPercent.toFixed(1)}%`,
    mib(m.peakBytes, true),
    `${(m.slopeBytesPerKFrame / 1024).toFixed(1)}`,
    m.flat ? 'flat' : 'GROWING',
  ]);
  return table(['metric', 'baseline MiB', 'end MiB', 'growth MiB', 'growth', 'peak MiB', 'slope KiB/1k frames', ''], rows);
}
