// Which slice of the trace to draw when nobody says: about 2 ms in the middle half of the run
// (steady state, past boot and setup), around a complete MMIO-read flow so its arrows show, and
// among those the slice where the most kinds of work on the most threads are visible (whole flows
// from every vCPU if it can), with the longest lock waits if there are any.
import type { Flow, TraceModel } from './model.js';

export const DEFAULT_WINDOW_US = 2000;

export interface TimeWindow {
  fromUs: number;
  toUs: number;
}

/** Sorted start times with their track and family, to look at a window's contents quickly. */
interface Mark {
  ts: number;
  tid: number;
  family: string;
  dur: number;
}

function lowerBound(sorted: readonly { ts: number }[], ts: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (sorted[m]!.ts < ts) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function flowStart(f: Flow): number {
  return f.points[0]!.ts;
}

function flowEnd(f: Flow): number {
  return f.points[f.points.length - 1]!.ts;
}

const CANDIDATES = 400;

export function autoWindow(model: TraceModel, widthUs = DEFAULT_WINDOW_US): TimeWindow | null {
  const extent = model.extent;
  if (!extent) return null;
  const length = extent.end - extent.start;
  if (length <= widthUs) return { fromUs: extent.start, toUs: Math.max(extent.end, extent.start + 1) };
  // When rings wrapped, the busiest threads lost their oldest events: look only where every
  // thread still has its events (after the latest first event of any thread).
  const covered = model.lost > 0 ? Math.min(coverageStart(model), extent.end - widthUs) : extent.start;
  const steadyLength = extent.end - covered;
  const mid = (covered + extent.end) / 2;

  const complete = model.flows.filter((f) => f.complete);
  const mmio = complete.filter((f) => f.kind === 'mmio');
  const pool = mmio.length > 0 ? mmio : complete;
  if (pool.length === 0) return clampWindow(mid - widthUs / 2, widthUs, extent);

  // The flow must fit with a margin; a trace whose flows are all longer than the window gets a
  // wider window around its shortest one.
  const fits = pool.filter((f) => flowEnd(f) - flowStart(f) <= widthUs * 0.8);
  if (fits.length === 0) {
    const shortest = [...pool].sort((a, b) => flowEnd(a) - flowStart(a) - (flowEnd(b) - flowStart(b)))[0]!;
    const w = (flowEnd(shortest) - flowStart(shortest)) * 1.25 + 1;
    return clampWindow((flowStart(shortest) + flowEnd(shortest)) / 2 - w / 2, w, extent);
  }
  const centre = (f: Flow) => (flowStart(f) + flowEnd(f)) / 2;
  const steady = fits.filter((f) => Math.abs(centre(f) - mid) <= steadyLength / 4);
  const candidates = (steady.length > 0 ? steady : fits)
    .map((f, i) => ({ f, i, d: Math.abs(centre(f) - mid) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, CANDIDATES);

  const marks: Mark[] = [
    ...model.spans.map((s) => ({ ts: s.ts, tid: s.tid, family: s.family, dur: s.dur })),
    ...model.instants.map((s) => ({ ts: s.ts, tid: s.tid, family: s.family, dur: 0 })),
  ].sort((a, b) => a.ts - b.ts);
  const completeByStart = complete.map((f) => ({ ts: flowStart(f), end: flowEnd(f), tid: f.points[0]!.tid })).sort((a, b) => a.ts - b.ts);

  let best: { window: TimeWindow; score: number } | null = null;
  for (const { f, d } of candidates) {
    const window = clampWindow(centre(f) - widthUs / 2, widthUs, extent);
    // Round the start for tidier axis labels, as long as the flow stays inside.
    const rounded = Math.floor(window.fromUs / 10) * 10;
    if (rounded >= extent.start - 10 && rounded + widthUs >= flowEnd(f) && rounded <= flowStart(f)) {
      window.fromUs = rounded;
      window.toUs = rounded + widthUs;
    }
    const tids = new Set<number>();
    const families = new Set<string>();
    // Tenths of the window with something in them: a window that is half empty shows less.
    const busy = new Set<number>();
    let lockUs = 0;
    const waiters = new Set<number>();
    for (let k = lowerBound(marks, window.fromUs); k < marks.length && marks[k]!.ts <= window.toUs; k++) {
      tids.add(marks[k]!.tid);
      families.add(marks[k]!.family);
      busy.add(Math.min(9, Math.floor(((marks[k]!.ts - window.fromUs) / widthUs) * 10)));
      if (marks[k]!.family === 'lock') {
        lockUs += marks[k]!.dur;
        waiters.add(marks[k]!.tid);
      }
    }
    let flows = 0;
    const starters = new Set<number>();
    for (let k = lowerBound(completeByStart, window.fromUs); k < completeByStart.length && completeByStart[k]!.ts <= window.toUs; k++) {
      if (completeByStart[k]!.end > window.toUs) continue;
      flows++;
      starters.add(completeByStart[k]!.tid);
    }
    const score =
      3 * families.size +
      2 * tids.size +
      busy.size +
      Math.min(flows, 6) +
      3 * starters.size +
      (waiters.size > 0 ? 4 + 3 * waiters.size + Math.min(4, lockUs / 200) : 0) -
      (4 * d) / steadyLength;
    if (!best || score > best.score) best = { window, score };
  }
  return best!.window;
}

function clampWindow(from: number, width: number, extent: { start: number; end: number }): TimeWindow {
  const lo = Math.max(extent.start, Math.min(from, extent.end - width));
  return { fromUs: lo, toUs: lo + width };
}

function coverageStart(model: TraceModel): number {
  const first = new Map<number, number>();
  const see = (tid: number, ts: number) => first.set(tid, Math.min(first.get(tid) ?? Infinity, ts));
  for (const s of model.spans) see(s.tid, s.ts);
  for (const s of model.instants) see(s.tid, s.ts);
  let latest = model.extent!.start;
  for (const ts of first.values()) latest = Math.max(latest, ts);
  return latest;
}
