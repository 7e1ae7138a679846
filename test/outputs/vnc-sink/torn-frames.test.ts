// Issue 16 item 6: a VNC client must never see a frame that never existed. The compositor's side
// (DisplayFrames) runs here on the test's thread, fed frames as fast as it takes them, while the
// display's real VNC sink worker serves a real client (libvncclient, capture.c) that describes its
// framebuffer after every update. Two scenes: every frame redrawn whole in one colour (a torn read
// of the store shows two colours), and a sprite moving with small damage rectangles (an update
// built from a newer store than the damage the worker was told about shows no sprite, two, or
// half of one). Before the frame lock a quarter of the updates failed (36–43 of 151 in each case).
import { afterEach, describe, expect, it } from 'vitest';

import { DisplayFrames } from '../../../actors/compositor/display-frames.js';
import { VncSink } from '../../../outputs/vnc-sink/vnc-sink.js';
import type { Rect } from '../../../outputs/vnc/types.js';
import { EncodeStatus } from '../../../actors/device/engine-records.js';
import { createCursorSlot } from '../../../shared/display/cursor-slot.js';
import { createSurfacePool, SURFACE_HEADER_BYTES, SURFACES_PER_DISPLAY, SurfaceWord } from '../../../shared/display/surface-layout.js';
import { buildCapture, expectedClientPixel, startCapture } from '../../support/vnc-client/client.js';

const binary = await buildCapture();

const W = 1280;
const H = 720;
const SPRITE = 96;
const UPDATES = 60;

/** Frame k's colour (never black, the background): distinct for every k the test reaches. */
const colourOf = (k: number) => 0xff000000 | (((k * 2654435761) % 0xfffffe) + 1);
/** Where frame k's sprite is: it moves 24 px a frame, row by row. */
function spriteAt(k: number): Rect {
  const perRow = Math.floor((W - SPRITE) / 24);
  return { x: (k % perRow) * 24, y: (Math.floor(k / perRow) * 40) % (H - SPRITE), width: SPRITE, height: SPRITE };
}
const bounds = (a: Rect, b: Rect): Rect => {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
};

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

type Scene = 'whole frames' | 'a moving sprite';

/** DisplayFrames fed by a stand-in engine that answers each encode at once with frame k of `scene`. */
function display(scene: Scene) {
  const surfaces = createSurfacePool(W, H, SURFACES_PER_DISPLAY);
  const pending: number[] = [];
  const frames = new DisplayFrames(
    { device: 0, display: 0, serial: 1, surfaces, cursor: createCursorSlot(), engineInbound: new SharedArrayBuffer(8) },
    (_g, _w, _h, surface) => {
      pending.push(surface);
      return true;
    },
  );
  frames.onModeChange(W, H, 1);
  const surfaceBytes = surfaces.byteLength / SURFACES_PER_DISPLAY;
  let k = 0;
  /** Draws frame k+1 into the surface the oldest request named and answers it. */
  const next = () => {
    frames.onNewFrame(++k, 0);
    const surface = pending.shift();
    if (surface === undefined) return;
    const header = new Uint32Array(surfaces, surface * surfaceBytes, SURFACE_HEADER_BYTES / 4);
    const px = new Uint32Array(surfaces, surface * surfaceBytes + SURFACE_HEADER_BYTES, W * H);
    let damage: Rect;
    if (scene === 'whole frames') {
      px.fill(colourOf(k));
      damage = { x: 0, y: 0, width: W, height: H };
    } else {
      const was = spriteAt(k - 1);
      const now = spriteAt(k);
      damage = bounds(was, now);
      for (let y = damage.y; y < damage.y + damage.height; y++) px.fill(0xff000000, y * W + damage.x, y * W + damage.x + damage.width);
      for (let y = now.y; y < now.y + now.height; y++) px.fill(colourOf(k), y * W + now.x, y * W + now.x + now.width);
    }
    header[SurfaceWord.Width] = W;
    header[SurfaceWord.Height] = H;
    header[SurfaceWord.Generation] = 1;
    header[SurfaceWord.DamageCount] = 1;
    header.set([damage.x, damage.y, damage.width, damage.height], SurfaceWord.Damage);
    frames.onEncodeDone(1, EncodeStatus.Ok, k, surface);
  };
  return { frames, next, drawn: () => k };
}

describe('a VNC client sees only frames the compositor finished (libvncclient)', () => {
  it.each([
    ['whole frames', 'raw'],
    ['whole frames', 'tight'],
    ['a moving sprite', 'raw'],
    ['a moving sprite', 'zrle'],
  ] as const)(
    '%s, %s: every one of 60 updates is one frame',
    async (scene, encodings) => {
      const d = display(scene);
      d.next();
      const sink = await VncSink.start(d.frames, { port: 0, host: '127.0.0.1', name: 'torn' });
      d.frames.addSink(sink);
      cleanup.push(() => sink.close());

      const run = startCapture(binary, { port: sink.port, encodings, updates: UPDATES, checkFrames: true, timeoutMs: 60_000 });
      cleanup.push(() => run.kill());
      let exited = false;
      void run.result.then(() => (exited = true));
      // Frames as fast as the compositor takes them, yielding so the client's output is read.
      while (!exited) {
        d.next();
        await new Promise((r) => setImmediate(r));
      }
      const result = await run.result;
      expect(result.code, result.lines.slice(-5).join(' | ')).toBe(0);

      // Which frame a client pixel value belongs to.
      const frameOf = new Map<number, number>();
      for (let k = 0; k <= d.drawn(); k++) frameOf.set(expectedClientPixel(colourOf(k), 32), k);
      const bad: string[] = [];
      const described = result.lines.filter((l) => l.startsWith('frame '));
      for (const line of described) {
        const [, n, , colours, , count, , x, y, w, h, , first] = line.split(' ').map(Number);
        const k = frameOf.get(first!);
        const ok =
          colours === 1 &&
          k !== undefined &&
          (scene === 'whole frames'
            ? count === W * H
            : count === SPRITE * SPRITE && x === spriteAt(k).x && y === spriteAt(k).y && w === SPRITE && h === SPRITE);
        if (!ok) bad.push(`update ${n}: ${line}`);
      }
      expect(described.length).toBe(UPDATES + 1);
      expect(bad, `${bad.length} of ${described.length} updates left a frame that never existed`).toEqual([]);
      // The updates really raced the compositor: it drew many frames meanwhile.
      expect(d.drawn()).toBeGreaterThan(UPDATES);
    },
    120_000,
  );
});
