// Turns drained trace events into Chrome Trace Event JSON (opens in Perfetto and chrome://tracing):
// one track per ring (thread), spans, instants, counters and flow arrows.
import { traceArgNames, traceEventName } from './events.js';
import { TracePhase } from './layout.js';
import type { TraceEvent } from './reader.js';

export interface ChromeTraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  id?: number;
  bp?: string;
  s?: string;
  args?: Record<string, number | string>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, string | number>;
}

export interface TrackLabel {
  ring: number;
  /** Thread name shown on the track, e.g. "device-0" or "engine pool 1". */
  name: string;
}

const PID = 1;
const CAT = 'pvg';

function phaseCode(phase: number): string | undefined {
  switch (phase) {
    case TracePhase.Begin:
      return 'B';
    case TracePhase.End:
      return 'E';
    case TracePhase.Complete:
      return 'X';
    case TracePhase.Instant:
      return 'i';
    case TracePhase.Counter:
      return 'C';
    case TracePhase.FlowStart:
      return 's';
    case TracePhase.FlowEnd:
      return 'f';
    case TracePhase.FlowStep:
      return 't';
    default:
      return undefined;
  }
}

/** An event's arguments under their names (TRACE_ARGS); a NaN (not known on that thread) is left out. */
function namedArgs(e: TraceEvent): Record<string, number> {
  const args: Record<string, number> = {};
  traceArgNames(e.id).forEach((name, i) => {
    const v = e.args[i]!;
    if (!Number.isNaN(v)) args[name] = v;
  });
  return args;
}

export function toChromeTrace(events: readonly TraceEvent[], labels: readonly TrackLabel[], lost = 0): ChromeTrace {
  const origin = events.reduce((min, e) => Math.min(min, e.ts), Infinity);
  const t0 = Number.isFinite(origin) ? origin : 0;
  const out: ChromeTraceEvent[] = [];
  out.push({ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: 'pvg-vmm' } });
  for (const l of labels) {
    out.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: PID, tid: l.ring + 1, args: { name: l.name } });
  }
  const trackName = new Map(labels.map((l) => [l.ring, l.name]));
  const sorted = [...events].sort((a, b) => a.ts - b.ts);
  for (const e of sorted) {
    const ph = phaseCode(e.phase);
    if (ph === undefined) continue;
    const name = traceEventName(e.id);
    const base: ChromeTraceEvent = { name, cat: CAT, ph, ts: e.ts - t0, pid: PID, tid: e.ring + 1 };
    switch (ph) {
      case 'X':
        base.dur = e.dur;
        base.args = namedArgs(e);
        break;
      case 'i':
        base.s = 't';
        base.args = namedArgs(e);
        break;
      case 'C':
        // Counters are per process in this format: name each after its thread, so every actor's
        // mailbox depth gets its own track; a series (≥ 0) is one line of that counter.
        base.name = `${name} (${trackName.get(e.ring) ?? `ring ${e.ring}`})`;
        base.args = { [e.args[1] >= 0 ? String(e.args[1]) : 'value']: e.args[0] };
        break;
      case 's':
      case 't':
        base.id = e.args[0];
        break;
      case 'f':
        base.id = e.args[0];
        base.bp = 'e';
        break;
      default:
        base.args = namedArgs(e);
    }
    out.push(base);
  }
  return { traceEvents: out, displayTimeUnit: 'ns', otherData: { producer: 'pvg-vmm', lostEvents: lost } };
}
