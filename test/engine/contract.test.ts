// The contract any backend must pass: the framework's threading (callbacks from several engine
// threads, display handlers only from the display queue, synchronous callbacks inside an MMIO
// access) and ordering.
import { afterEach, describe, expect, it } from 'vitest';

import { ENGINE_THREAD_DISPLAY, EngineOut, InEncode, OutCursorMove, OutMapMemory, OutModeChange } from '../../actors/device/engine-records.js';
import { monotonicMicros } from '../../shared/trace/clock.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import { TraceSetReader, type TraceEvent } from '../../shared/trace/reader.js';
import { createTraceSetBuffer } from '../../shared/trace/ring.js';
import { EngineRig } from '../support/engine-rig.js';
import { fnv1a64 } from '../support/pixels.js';
import { runGuest } from '../support/run-guest.js';

const DISPLAY_EVENTS = new Set<number>([EngineOut.NewFrame, EngineOut.ModeChange, EngineOut.CursorGlyph, EngineOut.CursorShow, EngineOut.CursorMove]);

const TASK_CALLBACKS = new Set<number>([
  TRACE_EVENTS.apple_gfx_create_task,
  TRACE_EVENTS.apple_gfx_destroy_task,
  TRACE_EVENTS.apple_gfx_map_memory,
  TRACE_EVENTS.apple_gfx_unmap_memory,
  TRACE_EVENTS.apple_gfx_read_memory,
]);

/** Task-callback spans of the pool's threads (trace rings 2…) that overlap one on another pool thread. */
function overlappingTaskCallbacks(events: { ring: number; id: number; ts: number; dur: number }[]): { overlapping: number; total: number } {
  const spans = events.filter((e) => e.ring >= 2 && TASK_CALLBACKS.has(e.id)).sort((a, b) => a.ts - b.ts);
  const overlapping = new Set<number>();
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length && spans[j]!.ts < spans[i]!.ts + spans[i]!.dur; j++) {
      if (spans[j]!.ring !== spans[i]!.ring) overlapping.add(i).add(j);
    }
  }
  return { overlapping: overlapping.size, total: spans.length };
}

let rig: EngineRig | null = null;
afterEach(async () => {
  await rig?.stop();
  rig = null;
});

describe('engine contract (soft backend)', () => {
  it('runs a whole workload with the framework threading', async () => {
    rig = new EngineRig({ poolThreads: 3 });
    const out = await runGuest<{ info: { version: number; displays: unknown[] }; errors: { count: number } }>(rig, 'contract');
    expect(out.errors.count).toBe(0);
    expect(out.info.version).toBe(0x10000);
    await rig.waitFor(() => rig!.kinds(EngineOut.CursorMove).length > 0); // the display queue's last event
    expect(out.info.displays).toEqual([
      [
        { width: 320, height: 200, refresh: 60 },
        { width: 160, height: 100, refresh: 60 },
      ],
    ]);

    const hostCallbacks = rig.seen.filter((s) => !DISPLAY_EVENTS.has(s.kind) && s.kind !== EngineOut.EncodeDone);
    const displayEvents = rig.seen.filter((s) => DISPLAY_EVENTS.has(s.kind));
    // Callbacks come from several engine threads, never from the display queue.
    expect(new Set(hostCallbacks.map((s) => s.thread)).size).toBeGreaterThanOrEqual(2);
    expect(hostCallbacks.every((s) => s.thread !== ENGINE_THREAD_DISPLAY)).toBe(true);
    // Display handlers only from the display queue, in order.
    expect(displayEvents.length).toBeGreaterThanOrEqual(5);
    expect(displayEvents.every((s) => s.thread === ENGINE_THREAD_DISPLAY)).toBe(true);
    expect(displayEvents.map((s) => s.kind)).toEqual([
      EngineOut.ModeChange,
      EngineOut.NewFrame,
      EngineOut.CursorGlyph,
      EngineOut.CursorShow,
      EngineOut.CursorMove,
    ]);
    const mode = rig.kinds(EngineOut.ModeChange)[0]!.words;
    expect(
      [OutModeChange.display, OutModeChange.width, OutModeChange.height, OutModeChange.pixelFormat, OutModeChange.modeIndex, OutModeChange.generation].map(
        (f) => f(mode),
      ),
    ).toEqual([0, 320, 200, 0x42475241, 0, 1]);
    const move = rig.kinds(EngineOut.CursorMove)[0]!.words;
    expect([OutCursorMove.display(move), OutCursorMove.x(move), OutCursorMove.y(move)]).toEqual([0, 40, 50]);
    expect(rig.engine.cursorPosition(0)).toEqual({ x: 40, y: 50 });
    // Ring task + four contexts created, all destroyed again; the IOSurface mapped and unmapped.
    expect(rig.kinds(EngineOut.CreateTask)).toHaveLength(5);
    expect(rig.kinds(EngineOut.DestroyTask)).toHaveLength(4);
    expect(rig.kinds(EngineOut.MapMemory)).toHaveLength(2);
    expect(rig.kinds(EngineOut.UnmapMemory)).toHaveLength(1);
    expect(rig.kinds(EngineOut.ReadMemory)).toHaveLength(1);
    expect(rig.kinds(EngineOut.IosfcMap)).toHaveLength(1);
    expect(rig.kinds(EngineOut.IosfcUnmap)).toHaveLength(1);
    // The fence interrupt (enabled in IRQ_MASK) reached the host.
    expect(rig.interrupts).toBeGreaterThanOrEqual(1);
    // The glyph was converted once and handed over whole.
    expect(rig.cursorGlyphs).toHaveLength(1);
    expect(rig.cursorGlyphs[0]).toMatchObject({ width: 16, height: 16, hotX: 2, hotY: 3 });
    const stats = rig.engine.stats();
    expect(stats.presents).toBe(1);
    expect(stats.errors.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('holds an encode asked for mid-frame until the present, without spinning, and still stops at once', async () => {
    rig = new EngineRig();
    await runGuest(rig, 'midframe');
    const before = rig.encodes.length;
    // Display events travel on the display queue: they may trail the guest's last MMIO.
    const generation = OutModeChange.generation((await rig.waitFor(() => rig!.kinds(EngineOut.ModeChange)[0])).words);
    InEncode.post(rig.inbound, 0, 0, generation, 0, 0, 320, 200);
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.encodes.length).toBe(before); // the frame is half drawn: no encode yet
    const cpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 200));
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(150); // nobody spins on the waiting encode
    const t0 = performance.now();
    await rig.stop();
    rig = null;
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('traces from every engine thread into its own ring, on the shared clock', async () => {
    // Big rings: the guest's polling reads of FENCE_COMPLETED grow with the machine's load.
    const set = createTraceSetBuffer(5, 1 << 16);
    rig = new EngineRig({ poolThreads: 3, traceSet: set });
    const before = monotonicMicros();
    await runGuest(rig, 'contract');
    await rig.stop();
    rig = null;
    const { events, lost } = new TraceSetReader(set).drain();
    expect(lost).toBe(0); // 65536 events per ring is far more than this workload writes
    const byRing = (ring: number) => events.filter((e) => e.ring === ring).map((e) => e.id);
    // Ring 0: the MMIO dispatcher — register reads and writes, and the IOSurface map callbacks.
    expect(byRing(0)).toContain(TRACE_EVENTS.apple_gfx_read);
    expect(byRing(0)).toContain(TRACE_EVENTS.apple_gfx_write);
    expect(byRing(0)).toContain(TRACE_EVENTS.apple_iosfc_map_memory);
    // Ring 1: the display queue — only display handlers (and the flow arrow of the cursor
    // glyph callback, which waits for the device actor's answer).
    expect(new Set(byRing(1))).toEqual(
      new Set([
        TRACE_EVENTS.apple_gfx_mode_change,
        TRACE_EVENTS.apple_gfx_new_frame,
        TRACE_EVENTS.apple_gfx_cursor_set,
        TRACE_EVENTS.apple_gfx_cursor_show,
        TRACE_EVENTS.apple_gfx_cursor_move,
        TRACE_EVENTS.request,
      ]),
    );
    // Rings 2…: the pool — commands and the task callbacks they make.
    const pool = [2, 3, 4].flatMap(byRing);
    expect(pool).toContain(TRACE_EVENTS.engine_command);
    expect(pool).toContain(TRACE_EVENTS.apple_gfx_create_task);
    expect(pool).toContain(TRACE_EVENTS.apple_gfx_map_memory);
    for (const e of events) expect(e.ts).toBeGreaterThanOrEqual(before - 1);
  });

  it('issues task callbacks from several pool threads at once, with the frames, errors and fences of one command at a time', async () => {
    const rounds = 24;
    const run = async (serial: boolean) => {
      // Large rings: the dispatcher ring takes every register poll of the guest (2 events each).
      const set = createTraceSetBuffer(6, 1 << 18);
      const r = new EngineRig({ poolThreads: 4, traceSet: set });
      rig = r;
      // Drained while the guest runs: its register polls fill the dispatcher's ring faster on a
      // slow or loaded machine, and an overwritten event must not be mistaken for a missing span.
      const reader = new TraceSetReader(set);
      const events: TraceEvent[] = [];
      let lost = 0;
      const drain = () => {
        const d = reader.drain();
        for (const e of d.events) events.push(e);
        lost += d.lost;
      };
      const draining = setInterval(drain, 2);
      const out = await runGuest<{ codes: number[] }>(r, 'lanes', { rounds, serial }).finally(() => clearInterval(draining));
      const done = await r.encode(0, 0, 1, 320, 200);
      const frame = fnv1a64(r.surfacePixels(0, 0).pixels);
      const stats = r.engine.stats();
      await r.stop();
      rig = null;
      drain();
      expect(lost).toBe(0);
      return { codes: out.codes, encode: done.status, frame, errors: stats.errors, fences: stats.fences, spans: overlappingTaskCallbacks(events) };
    };
    const lanes = await run(false);
    const serial = await run(true); // a NOP after every task command: one at a time, as before task lanes
    // The reference really ran one callback at a time, and the lanes did not.
    expect(serial.spans.overlapping).toBe(0);
    expect(serial.spans.total).toBeGreaterThan(rounds * 16);
    expect(lanes.spans.total).toBe(serial.spans.total);
    expect(lanes.spans.overlapping).toBeGreaterThan(0);
    // Errors in ring order whichever lane finished first: the refused MAP waits for two host
    // answers, the unknown context for none.
    expect(serial.codes).toEqual(Array.from({ length: rounds }, (_, r) => (r % 2 === 0 ? 5 : 4)));
    expect(lanes.codes).toEqual(serial.codes);
    expect(lanes.errors).toEqual(serial.errors);
    expect(lanes.fences).toBe(rounds);
    expect(serial.fences).toBe(rounds);
    expect(lanes.encode).toBe(serial.encode);
    expect(lanes.frame).toBe(serial.frame);
  });

  it('makes synchronous callbacks inside an MMIO access: the ring task exists before RING_CONTROL completes', async () => {
    rig = new EngineRig();
    await runGuest(rig, 'contract');
    const createRing = rig.seen.findIndex((s) => s.kind === EngineOut.CreateTask);
    const mapRing = rig.seen.findIndex((s) => s.kind === EngineOut.MapMemory);
    expect(createRing).toBeGreaterThanOrEqual(0);
    expect(mapRing).toBeGreaterThan(createRing);
    // The ring is mapped read-write at offset 0 of its task, with the guest's ring as the range.
    const map = rig.seen[mapRing]!.words;
    expect({ va: OutMapMemory.va(map), readOnly: OutMapMemory.readOnly(map), count: OutMapMemory.count(map) }).toEqual({ va: 0, readOnly: false, count: 1 });
  });
});
