// The parts of a Chrome Trace Event file the picture draws: tracks in reading order, spans with
// their nesting depth, instants, flows (grouped by id, in time order) and counter series.
import type { ChromeTrace, ChromeTraceEvent } from '../chrome.js';
import { familyOf, type Family, type FlowKind } from './style.js';

export interface Track {
  tid: number;
  name: string;
  /** Sort key: vCPUs, then each device actor followed by its engine threads, irq, compositor, the rest. */
  key: readonly [number, number, number, string];
  /** An engine thread, drawn indented under its device. */
  nested: boolean;
  /** Tracks of one group (a device and its engine threads) share a background band. */
  group: string;
}

export interface Span {
  tid: number;
  name: string;
  family: Family;
  ts: number;
  dur: number;
  depth: number;
  args: Record<string, number | string> | undefined;
}

export interface Instant {
  tid: number;
  name: string;
  family: Family;
  ts: number;
  args: Record<string, number | string> | undefined;
}

export interface FlowPoint {
  ph: 's' | 't' | 'f';
  tid: number;
  ts: number;
}

export interface Flow {
  id: string;
  points: FlowPoint[];
  /** Starts with 's' and ends with 'f'. */
  complete: boolean;
  kind: FlowKind;
}

export interface CounterSeries {
  /** As Perfetto names the track: the event name, then the series key unless it is "value". */
  label: string;
  tid: number;
  points: { ts: number; value: number }[];
}

export interface TraceModel {
  tracks: Map<number, Track>;
  spans: Span[];
  instants: Instant[];
  flows: Flow[];
  counters: CounterSeries[];
  /** First and last moment of any event (spans to their end), or null for an empty trace. */
  extent: { start: number; end: number } | null;
  lost: number;
}

const ENGINE_RANK: Record<string, number> = { mmio: 0, display: 1 };

export function trackKey(name: string): readonly [number, number, number, string] {
  let m = /^vcpu(\d+)$/.exec(name);
  if (m) return [0, Number(m[1]), 0, ''];
  m = /^device(\d+)$/.exec(name);
  if (m) return [1, Number(m[1]), 0, ''];
  m = /^device(\d+) engine (.+)$/.exec(name);
  if (m) {
    const thread = m[2]!;
    const pool = /^pool (\d+)$/.exec(thread);
    const rank = ENGINE_RANK[thread] ?? (pool ? 2 + Math.min(Number(pool[1]), 1e6) : 2e6);
    return [1, Number(m[1]), 1 + rank, thread];
  }
  if (name === 'irq') return [2, 0, 0, ''];
  m = /^compositor(\d*)$/.exec(name); // one compositor, or its shards compositor0, compositor1, …
  if (m) return [3, Number(m[1] || 0), 0, ''];
  return [4, 0, 0, name];
}

function compareKeys(a: Track, b: Track): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.key[i] as number) - (b.key[i] as number);
    if (d !== 0) return d;
  }
  if (a.key[3] !== b.key[3]) return a.key[3] < b.key[3] ? -1 : 1;
  return a.tid - b.tid;
}

function makeTrack(tid: number, name: string): Track {
  const key = trackKey(name);
  return { tid, name, key, nested: key[0] === 1 && key[2] > 0, group: key[0] === 1 ? `device ${key[1]}` : key[0] === 4 ? `other ${name}` : `group ${key[0]}` };
}

/** Tracks in reading order. */
export function orderTracks(tracks: Iterable<Track>): Track[] {
  return [...tracks].sort(compareKeys);
}

function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function flowKind(first: FlowPoint, tracks: Map<number, Track>): FlowKind {
  const key = tracks.get(first.tid)?.key;
  if (key?.[0] === 0) return 'mmio';
  if (key?.[0] === 1 && key[2] > 0) return 'callback';
  return 'other';
}

export function buildModel(trace: ChromeTrace): TraceModel {
  const events: readonly ChromeTraceEvent[] = Array.isArray(trace?.traceEvents) ? trace.traceEvents : [];
  const tracks = new Map<number, Track>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && finite(e.tid)) tracks.set(e.tid, makeTrack(e.tid, String(e.args?.name ?? `thread ${e.tid}`)));
  }
  const ensureTrack = (tid: number): void => {
    if (!tracks.has(tid)) tracks.set(tid, makeTrack(tid, `thread ${tid}`));
  };

  // Stable time order: events at the same ts keep the file's order.
  const timed = events.filter((e) => e.ph !== 'M' && finite(e.ts) && finite(e.tid));
  let sorted = true;
  for (let i = 1; i < timed.length && sorted; i++) sorted = timed[i - 1]!.ts <= timed[i]!.ts;
  const order = sorted
    ? timed
    : timed
        .map((e, i) => ({ e, i }))
        .sort((a, b) => a.e.ts - b.e.ts || a.i - b.i)
        .map((x) => x.e);

  const spans: Span[] = [];
  const instants: Instant[] = [];
  const flows: Flow[] = [];
  const open = new Map<string, Flow>();
  const begun = new Map<number, ChromeTraceEvent[]>();
  const counters = new Map<string, CounterSeries>();
  let start = Infinity;
  let end = -Infinity;
  const seen = (ts: number, until = ts): void => {
    start = Math.min(start, ts);
    end = Math.max(end, until);
  };

  for (const e of order) {
    switch (e.ph) {
      case 'X': {
        const dur = finite(e.dur) && e.dur > 0 ? e.dur : 0;
        ensureTrack(e.tid);
        spans.push({ tid: e.tid, name: e.name, family: familyOf(e.name), ts: e.ts, dur, depth: 0, args: e.args });
        seen(e.ts, e.ts + dur);
        break;
      }
      case 'B': {
        const stack = begun.get(e.tid) ?? [];
        stack.push(e);
        begun.set(e.tid, stack);
        break;
      }
      case 'E': {
        const b = begun.get(e.tid)?.pop();
        if (!b) break;
        ensureTrack(e.tid);
        spans.push({ tid: e.tid, name: b.name, family: familyOf(b.name), ts: b.ts, dur: Math.max(0, e.ts - b.ts), depth: 0, args: b.args });
        seen(b.ts, e.ts);
        break;
      }
      case 'i':
      case 'I':
        ensureTrack(e.tid);
        instants.push({ tid: e.tid, name: e.name, family: familyOf(e.name), ts: e.ts, args: e.args });
        seen(e.ts);
        break;
      case 's':
      case 't':
      case 'f': {
        if (e.id === undefined || e.id === null) break;
        ensureTrack(e.tid);
        seen(e.ts);
        const id = String(e.id);
        const point: FlowPoint = { ph: e.ph, tid: e.tid, ts: e.ts };
        let flow = open.get(id);
        if (e.ph === 's' || !flow) {
          flow = { id, points: [], complete: false, kind: 'other' };
          flows.push(flow);
          open.set(id, flow);
        }
        flow.points.push(point);
        if (e.ph === 'f') open.delete(id);
        break;
      }
      case 'C': {
        seen(e.ts);
        for (const [key, raw] of Object.entries(e.args ?? {})) {
          const value = Number(raw);
          if (!Number.isFinite(value)) continue;
          const label = key === 'value' ? e.name : `${e.name} ${key}`;
          const id = `${e.tid}\u0000${label}`;
          let series = counters.get(id);
          if (!series) {
            series = { label, tid: e.tid, points: [] };
            counters.set(id, series);
          }
          series.points.push({ ts: e.ts, value });
        }
        break;
      }
      default:
        break;
    }
  }
  // Spans that began and never ended are left out: their length is unknown.

  for (const f of flows) {
    f.complete = f.points.length >= 2 && f.points[0]!.ph === 's' && f.points[f.points.length - 1]!.ph === 'f';
    f.kind = flowKind(f.points[0]!, tracks);
  }

  // Nesting depth per track: a span inside another (engine_encode inside engine_command) sits one level lower.
  spans.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const ends = new Map<number, number[]>();
  for (const s of spans) {
    const stack = ends.get(s.tid) ?? [];
    while (stack.length > 0 && stack[stack.length - 1]! <= s.ts) stack.pop();
    s.depth = stack.length;
    stack.push(s.ts + s.dur);
    ends.set(s.tid, stack);
  }

  const counterList = [...counters.values()].sort((a, b) => {
    const ta = tracks.get(a.tid);
    const tb = tracks.get(b.tid);
    if (ta && tb && ta !== tb) return compareKeys(ta, tb);
    if (!ta !== !tb) return ta ? -1 : 1;
    return a.tid - b.tid || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
  });

  const lost = Number(trace?.otherData?.lostEvents ?? 0);
  return {
    tracks,
    spans,
    instants,
    flows,
    counters: counterList,
    extent: Number.isFinite(start) ? { start, end } : null,
    lost: Number.isFinite(lost) && lost > 0 ? lost : 0,
  };
}
