// Present → VNC client latency from the band workload: which frames each update shows, read from
// the rows its rectangles cover (band.ts moves a band of `rows` rows down the screen: frame n
// redraws rows [top(n), top(n) + rows)), and the time each frame was presented (the device
// actor's apple_gfx_new_frame trace event). One sample per update, as present → kept counts
// (actors/compositor/frame-latency.ts): from the oldest frame the client had not seen yet being
// presented to the update that shows it arriving. An update whose rows are not exactly the bands
// of the frames it shows (a full-screen update, damage merged into a bounding box across the
// wrap) is counted as ambiguous and left out, not guessed.
import type { LoggedUpdate } from './vnc-update-log.js';

export interface BandGeometry {
  height: number;
  /** Rows the band covers (band.ts: round(height × damage / 100), at least 1). */
  rows: number;
}

/** band.ts's row of frame n's band. */
export function bandTop(g: BandGeometry, n: number): number {
  return g.rows >= g.height ? 0 : (n * g.rows) % (g.height - g.rows + 1);
}

export interface VncLatencyResult {
  /** Update arrival − present of the oldest frame it was the first to show (µs), one per unambiguous update. */
  samplesUs: number[];
  /** Updates that showed new frames but could not be tied to them exactly (left out). */
  ambiguous: number;
  /** Frames of the run the client saw by the last update. */
  framesShown: number;
}

type Span = [number, number];

function union(spans: Span[]): Span[] {
  const s = spans.filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0]);
  const out: Span[] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

const covers = (spans: Span[], [a, b]: Span) => spans.some(([x, y]) => x <= a && b <= y);
const sameSpans = (p: Span[], q: Span[]) => p.length === q.length && p.every(([a, b], i) => a === q[i]![0] && b === q[i]![1]);

/**
 * `presentUs(n)`: when frame n of the run (0-based) was presented, or undefined if unknown.
 * `updates`: what the client received during the run, in order.
 */
export function vncLatency(g: BandGeometry, frames: number, presentUs: (n: number) => number | undefined, updates: readonly LoggedUpdate[]): VncLatencyResult {
  const band = (n: number): Span => [bandTop(g, n), bandTop(g, n) + g.rows];
  const samplesUs: number[] = [];
  let ambiguous = 0;
  let shown = -1; // the newest frame of the run the client has seen
  // After an ambiguous update the next one's oldest frame is uncertain too (the ambiguous one may
  // have been credited frames it did not show): the first update of a run (the setup's whole
  // screen) starts that way.
  let uncertain = true;
  for (const u of updates) {
    const covered = union(u.rects.filter((r) => r.w > 0).map((r): Span => [r.y, r.y + r.h]));
    let newest = shown;
    for (;;) {
      const n = newest + 1;
      const at = n < frames ? presentUs(n) : undefined;
      if (at === undefined || at >= u.atUs || !covers(covered, band(n))) break;
      newest = n;
    }
    if (newest === shown) continue; // nothing of the run's frames in it (or not tied to them)
    const oldest = shown + 1;
    shown = newest;
    const tight = sameSpans(covered, union(Array.from({ length: newest - oldest + 1 }, (_, i) => band(oldest + i))));
    // Spanning a whole sweep of the screen, bands of the same update overlap: a frame's rows may
    // be covered by others' and it may be credited though not in it, so the next update's oldest
    // frame would be uncertain too.
    const sweep = g.rows >= g.height ? 1 : Math.floor((g.height - g.rows + 1) / g.rows);
    const clear = tight && newest - oldest + 1 < sweep;
    if (!clear || uncertain) {
      ambiguous++;
      uncertain = !clear;
      continue;
    }
    samplesUs.push(u.atUs - presentUs(oldest)!);
  }
  return { samplesUs, ambiguous, framesShown: shown + 1 };
}

/** The q-quantile (nearest rank) of samples; NaN when there are none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** band.ts's background (setup fills the frame with it) in the server's pixel format, alpha dropped. */
const BACKGROUND = 0x102030;

/**
 * For full-screen updates (the pvg profile reads back and sends whole frames, so rows say
 * nothing), a probe of the picture itself: the newest frame n ≥ from of the run such that frames
 * from…n have all drawn their band (the band's first tile starts at x = (n × 8) mod 256 + 1 on row
 * top(n); its title bar is not the background the setup filled the screen with), from − 1 if none.
 * `from`: the frames a run before this one drew (bench frames' warm-up starts again at frame 0,
 * so frames below it share rows with what the client may still show from the warm-up). Valid
 * while the run's bands do not come back to rows an earlier band drew (frames ≤ bandPeriod).
 */
export function bandProbe(g: BandGeometry & { width: number }, frames: number, from: number): (fb: Buffer) => number {
  return (fb) => {
    let n = from;
    for (; n < frames; n++) {
      const x = ((n * 8) % 256) + 1;
      const px = fb.readUInt32LE((bandTop(g, n) * g.width + x) * 4) & 0xffffff;
      if (px === BACKGROUND) break;
    }
    return n - 1;
  };
}

/** The frames until band positions repeat (frame n and n + period share rows). */
export function bandPeriod(g: BandGeometry): number {
  if (g.rows >= g.height) return 1;
  const m = g.height - g.rows + 1;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return m / gcd(g.rows % m, m);
}

/**
 * Latency from probed updates (bandProbe with the same `from`): one sample per update that shows
 * new frames, from the oldest of them being presented to the update arriving. Frames below
 * `from` are not counted. An update credited with a frame presented after it arrived, or one
 * whose frames' present times are missing, is ambiguous.
 */
export function vncLatencyByPixels(presentUs: (n: number) => number | undefined, updates: readonly LoggedUpdate[], from: number): VncLatencyResult {
  const samplesUs: number[] = [];
  let ambiguous = 0;
  let shown = from - 1;
  for (const u of updates) {
    const newest = u.probed ?? from - 1;
    if (newest <= shown) continue;
    const oldest = shown + 1;
    shown = newest;
    const first = presentUs(oldest);
    const last = presentUs(newest);
    if (first === undefined || last === undefined || last >= u.atUs) {
      ambiguous++;
      continue;
    }
    samplesUs.push(u.atUs - first);
  }
  return { samplesUs, ambiguous, framesShown: shown + 1 };
}
