// Trace arguments on the timeline carry names (TRACE_ARGS), never a0/a1/a2; a value a thread
// does not know (NaN) is left out rather than shown as a number.
import { describe, expect, it } from 'vitest';

import { toChromeTrace } from '../../shared/trace/chrome.js';
import { TRACE_ARGS, TRACE_EVENTS } from '../../shared/trace/events.js';
import { TracePhase } from '../../shared/trace/layout.js';
import type { TraceEvent } from '../../shared/trace/reader.js';

const event = (id: number, phase: number, args: [number, number, number]): TraceEvent => ({ ring: 0, id, phase, ts: 1, dur: 2, args });
const convert = (e: TraceEvent) => toChromeTrace([e], [{ ring: 0, name: 't' }]).traceEvents.at(-1)!;

describe('named trace arguments', () => {
  it('names every argument of spans and instants after TRACE_ARGS, dropping what is not named', () => {
    expect(convert(event(TRACE_EVENTS.apple_gfx_mode_change, TracePhase.Instant, [0, 1920, 1080])).args).toEqual({ display: 0, width: 1920, height: 1080 });
    expect(convert(event(TRACE_EVENTS.apple_gfx_map_memory, TracePhase.Complete, [3, 2, 77])).args).toEqual({ task: 3, status: 2 });
    expect(convert(event(TRACE_EVENTS.lock_wait, TracePhase.Complete, [5, 6, 7])).args).toEqual({});
  });

  it('leaves out a value written as NaN (not known on that thread)', () => {
    expect(convert(event(TRACE_EVENTS.apple_gfx_read, TracePhase.Complete, [0x40, NaN, 0])).args).toEqual({ offset: 0x40 });
  });

  it('gives an id with no entry no arguments', () => {
    const e = convert(event(999, TracePhase.Instant, [1, 2, 3]));
    expect(e.name).toBe('event_999');
    expect(e.args).toEqual({});
  });

  it('has names for every event that is neither a counter nor a flow, at most three, none repeated', () => {
    const shaped = new Set(['mailbox_depth', 'frames_pending', 'request']);
    for (const name of Object.keys(TRACE_EVENTS).filter((n) => !shaped.has(n))) {
      const names = TRACE_ARGS[name as keyof typeof TRACE_ARGS];
      expect(names, name).toBeDefined();
      expect(names.length).toBeLessThanOrEqual(3);
      expect(new Set(names).size).toBe(names.length);
    }
  });
});
