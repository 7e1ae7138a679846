import { describe, expect, it } from 'vitest';

import { native } from '../../shared/native/addon.js';
import { nativeTesting } from '../../bench/native-testing.js';
import { toChromeTrace } from '../../shared/trace/chrome.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import { TracePhase } from '../../shared/trace/layout.js';
import { TraceSetReader } from '../../shared/trace/reader.js';
import { TraceRingWriter, createTraceSetBuffer, setTracePaused } from '../../shared/trace/ring.js';
import { createMailboxBuffer, Mailbox } from '../../shared/mailbox/mailbox.js';
import { newRecord } from '../../shared/mailbox/record.js';
import { eventually, exited, startWorker } from '../support/spawn.js';
import { traceChecksum } from '../support/trace-writer.js';

describe('trace rings', () => {
  it('drains what was written, in order, with every field', () => {
    const set = createTraceSetBuffer(2, 64);
    const w = new TraceRingWriter(set, 1, 4242);
    w.write(TRACE_EVENTS.apple_gfx_read, TracePhase.Complete, 10, 2.5, 0x4000, 7, -1);
    w.instant(TRACE_EVENTS.apple_gfx_raise_irq, 3);
    const reader = new TraceSetReader(set);
    const { events, lost } = reader.drain();
    expect(lost).toBe(0);
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({ ring: 1, ts: 10, dur: 2.5, id: TRACE_EVENTS.apple_gfx_read, phase: TracePhase.Complete, args: [0x4000, 7, -1] });
    expect(events[1]!.id).toBe(TRACE_EVENTS.apple_gfx_raise_irq);
    expect(reader.threadId(1)).toBe(4242);
    expect(reader.drain().events).toHaveLength(0);
  });

  it('counts events overwritten before a drain instead of showing them', () => {
    const set = createTraceSetBuffer(1, 8);
    const w = new TraceRingWriter(set, 0);
    for (let n = 0; n < 20; n++) w.write(63, TracePhase.Instant, n, 0, n);
    const { events, lost } = new TraceSetReader(set).drain();
    expect(lost).toBe(12);
    expect(events.map((e) => e.args[0])).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('never returns a torn event while writer threads race the reader', async () => {
    const rings = 3;
    const count = 200_000;
    const set = createTraceSetBuffer(rings, 1024);
    const reader = new TraceSetReader(set);
    const workers = Array.from({ length: rings }, (_, ring) => startWorker('test/support/trace-writer', { set, ring, count }));
    const finished = Promise.all(workers.map(exited));
    let done = false;
    void finished.then(() => (done = true));
    let seen = 0;
    let lost = 0;
    const check = (events: ReturnType<TraceSetReader['drain']>['events']) => {
      for (const e of events) {
        const n = e.args[0];
        expect(e.ts).toBe(n * 1.5);
        expect(e.args[1]).toBe(traceChecksum(n, e.ts));
        expect(e.args[2]).toBe(e.ring);
      }
    };
    while (!done) {
      const r = reader.drain();
      check(r.events);
      seen += r.events.length;
      lost += r.lost;
      await new Promise((res) => setImmediate(res));
    }
    const last = reader.drain();
    check(last.events);
    seen += last.events.length;
    lost += last.lost;
    expect(seen + lost).toBe(rings * count);
    expect(seen).toBeGreaterThan(0);
  });

  it('shares one timeline with native threads and drains their rings too', async () => {
    const before = monotonicMicros();
    expect(Math.abs(native.monotonicMicros() - before)).toBeLessThan(50_000);
    const set = createTraceSetBuffer(3, 256);
    const mailbox = new Mailbox(createMailboxBuffer({ capacity: 64 }), 'sink');
    const handle = nativeTesting().startProducers(mailbox.words, {
      threads: 2,
      perThread: 100,
      kind: 2,
      producerIdBase: 0,
      seed: 3,
      maxJitterUs: 0,
      trace: { ring: new Int32Array(set), firstRing: 1 },
    });
    const rec = newRecord();
    let got = 0;
    await eventually(() => {
      while (mailbox.tryDequeue(rec)) got++;
      return got === 200;
    });
    nativeTesting().joinProducers(handle);
    const after = monotonicMicros();
    const reader = new TraceSetReader(set);
    const { events, lost } = reader.drain();
    expect(lost).toBe(0);
    expect(events.filter((e) => e.ring === 1)).toHaveLength(100);
    expect(events.filter((e) => e.ring === 2)).toHaveLength(100);
    for (const e of events) {
      expect(e.id).toBe(TRACE_EVENTS.test_event);
      expect(e.ts).toBeGreaterThanOrEqual(before - 1);
      expect(e.ts).toBeLessThanOrEqual(after + 1);
    }
    expect(reader.threadId(1)).toBeGreaterThan(0);
    expect(reader.threadId(1)).not.toBe(reader.threadId(2));
  });

  it('turns events into Chrome Trace Event JSON with tracks, spans, counters and flows', () => {
    const set = createTraceSetBuffer(2, 64);
    const a = new TraceRingWriter(set, 0);
    const b = new TraceRingWriter(set, 1);
    a.write(TRACE_EVENTS.request, TracePhase.FlowStart, 100, 0, 77);
    a.write(TRACE_EVENTS.apple_gfx_read, TracePhase.Complete, 100, 5, 0x10);
    b.write(TRACE_EVENTS.request, TracePhase.FlowEnd, 103, 0, 77);
    b.write(TRACE_EVENTS.mailbox_depth, TracePhase.Counter, 104, 0, 12, -1);
    b.write(TRACE_EVENTS.frames_pending, TracePhase.Counter, 105, 0, 2, 3); // series 3
    b.write(TRACE_EVENTS.request, TracePhase.FlowStep, 102, 0, 77);
    const { events } = new TraceSetReader(set).drain();
    const json = toChromeTrace(events, [
      { ring: 0, name: 'vcpu-0' },
      { ring: 1, name: 'device' },
    ]);
    const parsed = JSON.parse(JSON.stringify(json)) as typeof json;
    const names = parsed.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name);
    expect(names).toEqual(['vcpu-0', 'device']);
    const span = parsed.traceEvents.find((e) => e.ph === 'X')!;
    expect(span).toMatchObject({ name: 'apple_gfx_read', ts: 0, dur: 5, tid: 1 });
    const flowStart = parsed.traceEvents.find((e) => e.ph === 's')!;
    const flowEnd = parsed.traceEvents.find((e) => e.ph === 'f')!;
    expect(flowStart.id).toBe(77);
    expect(flowEnd).toMatchObject({ id: 77, bp: 'e', tid: 2, name: flowStart.name, cat: flowStart.cat });
    expect(parsed.traceEvents.find((e) => e.ph === 't')).toMatchObject({ id: 77, tid: 2, name: flowStart.name });
    // Counters are named after their thread (one track each); a series is one line of a counter.
    const counters = parsed.traceEvents.filter((e) => e.ph === 'C');
    expect(counters[0]).toMatchObject({ name: 'mailbox_depth (device)', args: { value: 12 } });
    expect(counters[1]).toMatchObject({ name: 'frames_pending (device)', args: { '3': 2 } });
  });

  it('a paused set drops every write until resumed', () => {
    const set = createTraceSetBuffer(1, 16);
    const w = new TraceRingWriter(set, 0);
    w.instant(TRACE_EVENTS.test_event, 1);
    setTracePaused(set, true);
    w.instant(TRACE_EVENTS.test_event, 2);
    w.span(TRACE_EVENTS.test_event, 0);
    setTracePaused(set, false);
    w.instant(TRACE_EVENTS.test_event, 3);
    expect(new TraceSetReader(set).drain().events.map((e) => e.args[0])).toEqual([1, 3]);
  });
});
