// The compositor's per-display state without threads: encode pacing (one in flight plus one
// pending, the rest coalesced), stale encodes after A→B→A mode changes, damage copied and handed
// to the sinks, cursor events, and rectangles that do not fit refused.
import { describe, expect, it } from 'vitest';

import { DisplayFrames, type DisplaySink } from '../../../actors/compositor/display-frames.js';
import { EncodeStatus } from '../../../actors/device/engine-records.js';
import { createCursorSlot, CursorSlot } from '../../../shared/display/cursor-slot.js';
import { createSurfacePool, SURFACE_HEADER_BYTES, SURFACES_PER_DISPLAY, SurfaceWord } from '../../../shared/display/surface-layout.js';
import type { Rect } from '../../../outputs/vnc/types.js';

function rig(maxW = 64, maxH = 48) {
  const surfaces = createSurfacePool(maxW, maxH, SURFACES_PER_DISPLAY);
  const cursor = createCursorSlot();
  const requests: { generation: number; width: number; height: number; surface: number }[] = [];
  let accept = true;
  const events: string[] = [];
  const frames = new DisplayFrames(
    { device: 0, display: 0, serial: 1, surfaces, cursor, engineInbound: new SharedArrayBuffer(8) },
    (generation, width, height, surface) => {
      if (!accept) return false;
      requests.push({ generation, width, height, surface });
      events.push(`request ${surface}`);
      return true;
    },
  );
  const damage: Rect[][] = [];
  const sink: DisplaySink = {
    resize: () => events.push(`resize ${frames.width()}x${frames.height()}`),
    damage: (r) => {
      events.push('damage');
      damage.push(r.map((x) => ({ ...x })));
    },
    cursorChanged: () => events.push('cursor'),
    cursorMoved: () => events.push('moved'),
  };
  frames.addSink(sink);
  let answered = 0;
  /**
   * What the engine does for the oldest unanswered encode request: fills the surface it named,
   * writes the header and damage, and answers with the request's generation (or `generation`).
   */
  const engineEncodes = (width: number, height: number, colour: number, rects: Rect[], status = EncodeStatus.Ok, frameSeq = 1, generation?: number) => {
    const req = requests[answered++]!;
    const base = req.surface * (surfaces.byteLength / SURFACES_PER_DISPLAY);
    const h = new Uint32Array(surfaces, base, SURFACE_HEADER_BYTES / 4);
    h[SurfaceWord.Width] = width;
    h[SurfaceWord.Height] = height;
    h[SurfaceWord.Generation] = req.generation;
    new Uint32Array(surfaces, base + SURFACE_HEADER_BYTES, width * height).fill(colour);
    h[SurfaceWord.DamageCount] = rects.length;
    rects.forEach((r, i) => h.set([r.x, r.y, r.width, r.height], SurfaceWord.Damage + i * 4));
    events.push(`done ${req.surface}`);
    frames.onEncodeDone(generation ?? req.generation, status, frameSeq, req.surface);
  };
  let presented = 0;
  const newFrame = () => frames.onNewFrame(++presented, 0);
  return { frames, sink, newFrame, requests, events, damage, cursor: new CursorSlot(cursor), engineEncodes, refuse: (v: boolean) => (accept = !v) };
}

/**
 * A sink as the VNC sink worker behaves: each resize is a message it handles later, and handling
 * one means it reads the new store and releases the one it read before. It checks that it is
 * never handed a store it may still be reading.
 */
class LaggingSink implements DisplaySink {
  /** Resizes not handled yet: the store ids they carry (the sink may read each once it gets to it). */
  private queue: { id: number; store: SharedArrayBuffer; width: number; height: number }[] = [];
  reading: { id: number; store: SharedArrayBuffer | null; width: number; height: number } = { id: 0, store: null, width: 0, height: 0 };
  resizes = 0;
  reused: string[] = [];

  constructor(private readonly frames: DisplayFrames) {}

  resize(): void {
    const store = this.frames.frameStore;
    if (store === this.reading.store || this.queue.some((q) => q.store === store)) this.reused.push(`store ${this.frames.frameStoreId}`);
    this.queue.push({ id: this.frames.frameStoreId, store, width: this.frames.width(), height: this.frames.height() });
    this.resizes++;
  }
  damage(): void {}
  cursorChanged(): void {}
  cursorMoved(): void {}

  /** Handles up to `n` queued resizes, as the worker's event loop would. */
  catchUp(n = Infinity): void {
    while (n-- > 0 && this.queue.length > 0) {
      const next = this.queue.shift()!;
      const old = this.reading.id;
      this.reading = next;
      if (old !== next.id) this.frames.released(this, old);
    }
  }
}

/** Mode `g` of a storm cycling two sizes. */
const stormMode = (g: number): [number, number] => (g % 2 ? [64, 48] : [32, 24]);

describe('DisplayFrames frame stores', () => {
  // Three: the one the compositor writes, the one a sink may still read, and a spare
  // (FRAME_STORES_PER_DISPLAY in frame-store-pool.ts). Before the pool, a sink that answered in
  // bursts (as the VNC sink worker does under a storm) made the display allocate one per change.
  const BOUND = 3;

  it('a storm of 500 mode changes with a sink that releases in bursts makes at most 3 stores, never one it still reads', () => {
    const r = rig();
    r.frames.removeSink(r.sink);
    const sink = new LaggingSink(r.frames);
    r.frames.addSink(sink);
    for (let g = 1; g <= 500; g++) {
      r.frames.onModeChange(...stormMode(g), g);
      if (g % 64 === 0) sink.catchUp(); // the worker gets to its messages now and then
    }
    sink.catchUp();
    const s = r.frames.stats();
    expect(s.frameStores).toBeLessThanOrEqual(BOUND);
    expect(sink.reused).toEqual([]);
    // Nothing lost silently: every change either reached the sink or was skipped and counted.
    expect(s.modeWaits).toBeGreaterThan(0);
    expect(sink.resizes + s.modesSkipped).toBe(500);
    // Once the sink caught up, the display shows the newest mode and the sink reads it.
    expect(s.generation).toBe(500);
    expect(s.mode).toEqual({ width: 32, height: 24 });
    expect([sink.reading.width, sink.reading.height]).toEqual([32, 24]);
    expect(sink.reading.store).toBe(r.frames.frameStore);
    expect(s.heldStores).toBe(0);
  });

  it('when every store is in use the newest mode waits for a release: no encode for it, skipped modes counted', () => {
    const r = rig(); // its sink never releases anything
    r.frames.onModeChange(64, 48, 1); // encode in flight for generation 1
    const first = r.frames.frameStoreId;
    r.frames.onModeChange(32, 24, 2);
    r.frames.onModeChange(64, 48, 3);
    r.frames.onModeChange(48, 32, 4); // all three stores in use: waits
    r.frames.onModeChange(16, 16, 5); // replaces 4 while it waits
    r.newFrame();
    r.engineEncodes(64, 48, 0xff0000ff, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 1); // generation 1: stale
    expect(r.requests.map((q) => q.generation)).toEqual([1]); // nothing for a mode with no store
    expect(r.frames.stats()).toMatchObject({
      frameStores: 3,
      heldStores: 2,
      modeWaits: 2,
      modesSkipped: 1,
      generation: 5,
      busy: true,
      mode: { width: 64, height: 48 },
    });
    expect(r.frames.frame()).toMatchObject({ width: 64, height: 48, generation: 3 }); // what it still shows, consistent
    expect(r.events.filter((e) => e.startsWith('resize'))).toEqual(['resize 64x48', 'resize 32x24', 'resize 64x48']);

    r.frames.released(r.sink, first);
    expect(r.events.filter((e) => e.startsWith('resize')).at(-1)).toBe('resize 16x16');
    expect(r.requests.at(-1)).toMatchObject({ generation: 5, width: 16, height: 16 });
    r.engineEncodes(16, 16, 0xff00ff00, [{ x: 0, y: 0, width: 16, height: 16 }], EncodeStatus.Ok, 1);
    expect(r.frames.frame()).toMatchObject({ width: 16, height: 16, generation: 5 });
    expect(r.frames.pixels().every((p) => p === 0xff00ff00)).toBe(true);
    expect(r.frames.stats()).toMatchObject({ frameStores: 3, busy: false });
  });

  it('a removed sink releases every store it held and a waiting mode goes ahead; with no sink the one store is reused', () => {
    const r = rig();
    for (let g = 1; g <= 4; g++) r.frames.onModeChange(...stormMode(g), g); // the fourth waits
    expect(r.frames.stats()).toMatchObject({ frameStores: 3, heldStores: 2, modeWaits: 1 });
    r.frames.removeSink(r.sink);
    expect(r.frames.stats()).toMatchObject({ heldStores: 0, mode: { width: 32, height: 24 }, generation: 4 });
    const only = r.frames.frameStore;
    for (let g = 5; g <= 30; g++) r.frames.onModeChange(...stormMode(g), g);
    expect(r.frames.frameStore).toBe(only);
    expect(r.frames.stats().frameStores).toBe(3);
  });

  it('each new mode starts black, whatever the reused store held', () => {
    const r = rig();
    r.frames.removeSink(r.sink);
    r.frames.onModeChange(64, 48, 1);
    r.frames.pixels().fill(0xffffffff);
    r.frames.onModeChange(32, 24, 2);
    expect(r.frames.pixels().every((p) => p === 0)).toBe(true);
    expect(r.frames.stats().frameStores).toBe(1);
  });
});

describe('DisplayFrames.powerOn (vm.reset())', () => {
  it('goes black at its size, generation 0, cursor hidden, sinks told of the mode change; nothing asked until the next mode', () => {
    const { frames, requests, events, engineEncodes, cursor } = rig();
    frames.onModeChange(64, 48, 3);
    engineEncodes(64, 48, 0xff00ff00, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 7);
    frames.onNewFrame(8, 0); // an encode in flight (the engine answered it "no mode" in its power-on)
    frames.onCursorGlyph(cursor.write(2, 2, 0, 0, new Uint8Array(16)));
    frames.onCursorShow(true);
    expect(frames.frame()!.pixels.some((p) => p !== 0)).toBe(true);
    events.length = 0;
    const asked = requests.length;
    frames.powerOn();
    expect(events).toEqual(['resize 64x48', 'cursor']);
    const f = frames.frame()!;
    expect(f).toMatchObject({ width: 64, height: 48, generation: 0, frameSeq: 0, cursor: { visible: false, glyph: null } });
    expect(f.pixels.every((p) => p === 0)).toBe(true);
    expect(frames.stats()).toMatchObject({ generation: 0, lastFrameSeq: 0, announcedFrameSeq: 0, busy: false });
    expect(requests.length).toBe(asked);
    // The guest sets its mode again: generation 1 as on a new engine, and an encode for it.
    frames.onModeChange(32, 24, 1);
    expect(requests.at(-1)).toMatchObject({ generation: 1, width: 32, height: 24 });
  });

  it('a display that never had a mode stays as a new one: no sink message', () => {
    const { frames, events } = rig();
    frames.powerOn();
    expect(events).toEqual([]);
    expect(frames.frame()).toBeNull();
  });
});

describe('DisplayFrames', () => {
  it('keeps one encode in flight and one pending; more new frames coalesce and are counted', () => {
    const r = rig();
    r.frames.onModeChange(64, 48, 1);
    expect(r.requests).toHaveLength(1); // the mode's first frame
    for (let i = 0; i < 5; i++) r.newFrame();
    expect(r.requests).toHaveLength(1);
    expect(r.frames.stats()).toMatchObject({ frames: 5, coalesced: 4, busy: true });
    r.engineEncodes(64, 48, 0xff112233, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 1); // held frame 1 only
    expect(r.requests).toHaveLength(2); // the pending one goes out once the first answered
    r.engineEncodes(64, 48, 0xff445566, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 5);
    expect(r.requests).toHaveLength(2);
    expect(r.frames.stats()).toMatchObject({ encodes: 2, busy: false, lastFrameSeq: 5 });
    expect(r.frames.pixels().every((p) => p === 0xff445566)).toBe(true);
  });

  it('alternates surfaces, and sends the next encode before copying the last one out', () => {
    const r = rig();
    r.frames.onModeChange(64, 48, 1);
    r.newFrame();
    r.engineEncodes(64, 48, 0xff000001, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 0); // before frame 1
    r.newFrame();
    r.engineEncodes(64, 48, 0xff000002, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 1); // before frame 2
    r.engineEncodes(64, 48, 0xff000003, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 2);
    expect(r.requests.map((q) => q.surface)).toEqual([0, 1, 0]);
    // Each answer with a pending frame: the next request (other surface) precedes the damage.
    expect(r.events).toEqual(['resize 64x48', 'request 0', 'done 0', 'request 1', 'damage', 'done 1', 'request 0', 'damage', 'done 0', 'damage']);
    expect(r.frames.pixels().every((p) => p === 0xff000003)).toBe(true);
  });

  it('A→B→A with an encode in flight: the old encode is dropped, never shown at the wrong size', () => {
    const r = rig(64, 48);
    r.frames.onModeChange(64, 48, 1); // A, generation 1: encode in flight
    r.newFrame();
    r.frames.onModeChange(32, 24, 2); // B
    r.frames.onModeChange(64, 48, 3); // A again: same size, newer generation
    const bufferA3 = r.frames.pixels();
    // The generation-1 encode answers late, with pixels the engine wrote for mode A.
    r.engineEncodes(64, 48, 0xffff0000, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 1);
    expect(r.frames.stats()).toMatchObject({ staleEncodes: 1, encodes: 0, generation: 3 });
    expect(r.frames.pixels()).toBe(bufferA3);
    expect(bufferA3.every((p) => p === 0)).toBe(true); // nothing of generation 1 landed
    // The coalesced request went out for the newest mode only.
    expect(r.requests.map((q) => q.generation)).toEqual([1, 3]);
    r.engineEncodes(64, 48, 0xff00ff00, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 2);
    expect(r.frames.stats()).toMatchObject({ encodes: 1, busy: false });
    expect(bufferA3.every((p) => p === 0xff00ff00)).toBe(true);
    expect(r.events.filter((e) => e.startsWith('resize'))).toEqual(['resize 64x48', 'resize 32x24', 'resize 64x48']);
  });

  it('an engine refusal (StaleMode, NoMode) is counted as stale and not applied', () => {
    const r = rig();
    r.frames.onModeChange(64, 48, 1);
    r.engineEncodes(64, 48, 0xff0000ff, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.StaleMode, 1);
    expect(r.frames.stats().staleEncodes).toBe(1);
    expect(r.frames.pixels().every((p) => p === 0)).toBe(true);
  });

  it('copies only the damaged rectangles and hands exactly those to the sinks', () => {
    const r = rig();
    r.frames.onModeChange(64, 48, 1);
    const rects = [
      { x: 2, y: 3, width: 5, height: 4 },
      { x: 60, y: 40, width: 4, height: 8 },
    ];
    r.engineEncodes(64, 48, 0xffabcdef, rects, EncodeStatus.Ok, 1);
    expect(r.damage).toEqual([rects]);
    const px = r.frames.pixels();
    const inside = (x: number, y: number) => rects.some((q) => x >= q.x && x < q.x + q.width && y >= q.y && y < q.y + q.height);
    for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) expect(px[y * 64 + x]).toBe(inside(x, y) ? 0xffabcdef : 0);
    expect(r.frames.stats()).toMatchObject({ damageRects: 2, pixelsCopied: 5 * 4 + 4 * 8 });
  });

  it("a mode's first frame reaches the sinks even with no rectangles (they wait for it to show the mode); later empty ones do not", () => {
    const r = rig();
    r.frames.onModeChange(64, 48, 1);
    r.engineEncodes(64, 48, 0xff000000, [], EncodeStatus.Ok, 1);
    expect(r.damage).toEqual([[]]);
    r.newFrame();
    r.engineEncodes(64, 48, 0xff000000, [], EncodeStatus.Ok, 2);
    expect(r.damage).toEqual([[]]);
    r.frames.onModeChange(32, 24, 2);
    r.newFrame();
    r.engineEncodes(32, 24, 0xff000000, [], EncodeStatus.Ok, 3);
    expect(r.damage).toEqual([[], []]);
  });

  it('a sink that started before a mode change and its first frame is told both when added; one that missed nothing is told nothing', () => {
    const r = rig();
    r.frames.removeSink(r.sink);
    const known = r.frames.modeSerial; // what a sink worker is started from
    r.frames.onModeChange(64, 48, 1);
    r.engineEncodes(64, 48, 0xff000000, [], EncodeStatus.Ok, 1); // drawn while the sink starts
    r.events.length = 0;
    r.frames.addStartedSink(r.sink, known);
    expect(r.events).toEqual(['resize 64x48', 'damage']);

    // Started from the current store: nothing to catch up on.
    r.frames.removeSink(r.sink);
    r.events.length = 0;
    r.frames.addStartedSink(r.sink, r.frames.modeSerial);
    expect(r.events).toEqual([]);

    // A mode change with no frame yet, in the same store (no sink was attached): the resize only;
    // its first frame follows as damage.
    r.frames.removeSink(r.sink);
    const before = r.frames.modeSerial;
    r.frames.onModeChange(32, 24, 2);
    r.events.length = 0;
    r.frames.addStartedSink(r.sink, before);
    expect(r.events).toEqual(['resize 32x24']);
  });

  it('a damage rectangle that does not fit the mode is skipped, not copied', () => {
    const r = rig();
    r.frames.onModeChange(32, 24, 1);
    r.engineEncodes(
      32,
      24,
      0xff0000ff,
      [
        { x: 30, y: 0, width: 8, height: 2 },
        { x: 0, y: 0, width: 1, height: 1 },
      ],
      EncodeStatus.Ok,
      1,
    );
    expect(r.damage).toEqual([[{ x: 0, y: 0, width: 1, height: 1 }]]);
    expect(r.frames.stats().pixelsCopied).toBe(1);
  });

  it('a surface holding another size (mode changed under it) is not applied', () => {
    const r = rig();
    r.frames.onModeChange(32, 24, 1);
    r.engineEncodes(64, 48, 0xff0000ff, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 1);
    expect(r.damage).toEqual([]);
    expect(r.frames.pixels().every((p) => p === 0)).toBe(true);
  });

  it('an encode the engine mailbox refuses is retried by flush(), and new frames meanwhile fold into it', () => {
    const r = rig();
    r.refuse(true);
    r.frames.onModeChange(64, 48, 1);
    r.newFrame();
    r.newFrame();
    expect(r.frames.flush()).toBe(true);
    expect(r.frames.stats()).toMatchObject({ busy: true, encodeRetries: 2, coalesced: 1 });
    r.refuse(false);
    expect(r.frames.flush()).toBe(false);
    expect(r.requests).toHaveLength(1);
    r.engineEncodes(64, 48, 0xff0000ff, [{ x: 0, y: 0, width: 64, height: 48 }], EncodeStatus.Ok, 2);
    expect(r.requests).toHaveLength(1); // the frames that arrived while unsent were in that encode
    expect(r.frames.stats().busy).toBe(false);
  });

  it('takes cursor glyphs from the slot, skips one a newer write overtook, and follows show/move', () => {
    const r = rig();
    const glyph = (c: number) => new Uint8Array(Uint32Array.from({ length: 4 * 4 }, () => c).buffer);
    const first = r.cursor.write(4, 4, 1, 2, glyph(0xff0000ff));
    const second = r.cursor.write(4, 4, 3, 0, glyph(0x80ff0000));
    r.frames.onCursorGlyph(first); // overtaken: its message is late, the second's is on its way
    expect(r.frames.cursor()).toBeNull();
    r.frames.onCursorGlyph(second);
    r.frames.onCursorShow(true);
    r.frames.onCursorMove(10, 20);
    const c = r.frames.cursor()!;
    expect({ w: c.width, h: c.height, hotX: c.hotX, hotY: c.hotY, visible: c.visible, x: c.x, y: c.y }).toEqual({
      w: 4,
      h: 4,
      hotX: 3,
      hotY: 0,
      visible: true,
      x: 10,
      y: 20,
    });
    expect(c.argb.every((p) => p === 0x80ff0000)).toBe(true);
    expect(r.frames.stats().cursor).toMatchObject({ glyphs: 1, tornGlyphReads: 1 });
    expect(r.events).toEqual(['cursor', 'cursor', 'moved']);
  });
});

describe('DisplayFrames.saveState/loadState (a snapshot)', () => {
  it('a restored display keeps the frame, generation and cursor, shows them to its sinks, and asks again for a frame that was wanted', () => {
    const a = rig();
    a.frames.onModeChange(32, 16, 3);
    a.newFrame();
    a.engineEncodes(32, 16, 0xff112233, [{ x: 0, y: 0, width: 32, height: 16 }], EncodeStatus.Ok, 1);
    a.frames.onCursorShow(true);
    a.frames.onCursorMove(5, -2);
    a.newFrame(); // its encode is in flight when the machine pauses: wanted again after a restore
    const saved = a.frames.saveState();
    expect(saved).toMatchObject({ mode: { width: 32, height: 16 }, generation: 3, keptGeneration: 3, frameSeq: 1, frameWanted: true });

    const b = rig();
    b.frames.loadState(saved);
    expect(b.events).toEqual(['resize 32x16', 'damage', 'cursor', 'request 0']);
    expect(b.requests).toEqual([{ generation: 3, width: 32, height: 16, surface: 0 }]);
    expect(b.frames.frame()).toEqual(a.frames.frame());
    // It goes on as the original: the next encode of generation 3 is kept.
    b.engineEncodes(32, 16, 0xff445566, [{ x: 0, y: 0, width: 4, height: 4 }], EncodeStatus.Ok, 2);
    expect(b.frames.frame()!.frameSeq).toBe(2);
    expect(() => b.frames.loadState(saved)).toThrow(/already had events/);
  });

  it('a display without a mode restores as a new one; one whose mode waits for a store restores that mode, black, with a frame wanted', () => {
    const none = rig().frames.saveState();
    expect(none).toMatchObject({ mode: null, frameWanted: false, pixels: new Uint32Array(0) });
    const fresh = rig();
    fresh.frames.loadState(none);
    expect([fresh.events, fresh.frames.frame()]).toEqual([[], null]);

    const a = rig(); // its sink never releases: the fourth mode waits for a store
    a.frames.onModeChange(64, 48, 1);
    a.frames.onModeChange(32, 24, 2);
    a.frames.onModeChange(64, 48, 3);
    a.frames.onModeChange(16, 8, 4);
    const held = a.frames.saveState();
    expect(held).toMatchObject({ mode: { width: 16, height: 8 }, generation: 4, keptGeneration: 4, frameSeq: 0, frameWanted: true });
    expect(held.pixels.every((p) => p === 0)).toBe(true);
    const b = rig();
    b.frames.loadState(held);
    expect(b.frames.frame()).toMatchObject({ width: 16, height: 8, generation: 4, frameSeq: 0 });
    expect(b.requests).toEqual([{ generation: 4, width: 16, height: 8, surface: 0 }]);
  });
});
