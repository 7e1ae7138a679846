// The contract any backend must pass: the framework's threading (callbacks from several engine
// threads, display handlers only from the display queue, synchronous callbacks inside an MMIO
// access) and ordering.
import { afterEach, describe, expect, it } from 'vitest';

import { ENGINE_THREAD_DISPLAY, EngineOut } from '../../actors/device/engine-records.js';
import { EngineRig } from '../support/engine-rig.js';
import { runGuest } from '../support/run-guest.js';

const DISPLAY_EVENTS = new Set<number>([EngineOut.NewFrame, EngineOut.ModeChange, EngineOut.CursorGlyph, EngineOut.CursorShow, EngineOut.CursorMove]);

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
    expect(out.info.displays).toEqual([[{ width: 320, height: 200, refresh: 60 }, { width: 160, height: 100, refresh: 60 }]]);

    const hostCallbacks = rig.seen.filter((s) => !DISPLAY_EVENTS.has(s.kind) && s.kind !== EngineOut.EncodeDone);
    const displayEvents = rig.seen.filter((s) => DISPLAY_EVENTS.has(s.kind));
    // Callbacks come from several engine threads, never from the display queue.
    expect(new Set(hostCallbacks.map((s) => s.thread)).size).toBeGreaterThanOrEqual(2);
    expect(hostCallbacks.every((s) => s.thread !== ENGINE_THREAD_DISPLAY)).toBe(true);
    // Display handlers only from the display queue, in order.
    expect(displayEvents.length).toBeGreaterThanOrEqual(5);
    expect(displayEvents.every((s) => s.thread === ENGINE_THREAD_DISPLAY)).toBe(true);
    expect(displayEvents.map((s) => s.kind)).toEqual([
      EngineOut.ModeChange, EngineOut.NewFrame, EngineOut.CursorGlyph, EngineOut.CursorShow, EngineOut.CursorMove,
    ]);
    expect(rig.kinds(EngineOut.ModeChange)[0]!.args.slice(1, 7)).toEqual([0, 320, 200, 0x42475241, 0, 1]);
    expect(rig.kinds(EngineOut.CursorMove)[0]!.args.slice(1, 4)).toEqual([0, 40, 50]);
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
    const generation = rig.kinds(EngineOut.ModeChange)[0]!.args[6]!;
    rig.inbound.enqueue(0x3, [0, 0, generation, 0, 0, 320, 200]);
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

  it('makes synchronous callbacks inside an MMIO access: the ring task exists before RING_CONTROL completes', async () => {
    rig = new EngineRig();
    await runGuest(rig, 'contract');
    const createRing = rig.seen.findIndex((s) => s.kind === EngineOut.CreateTask);
    const mapRing = rig.seen.findIndex((s) => s.kind === EngineOut.MapMemory);
    expect(createRing).toBeGreaterThanOrEqual(0);
    expect(mapRing).toBeGreaterThan(createRing);
    // The ring is mapped read-write at offset 0 of its task, with the guest's ring as the range.
    expect(rig.seen[mapRing]!.args.slice(4, 8)).toEqual([0, 0, 0, 1]);
  });
});
