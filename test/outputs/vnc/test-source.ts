// A FramebufferSource the tests draw into, and a server started on a free port with a log kept.
import { VncServer, type VncServerOptions } from '../../../outputs/vnc/server.js';
import type { CursorImage, FramebufferSource, Rect } from '../../../outputs/vnc/types.js';
import { composeReference } from '../../support/compose.js';

export class TestSource implements FramebufferSource {
  w: number;
  h: number;
  px: Uint32Array;
  cur: CursorImage | null = null;

  constructor(width: number, height: number, seed = 1) {
    this.w = width;
    this.h = height;
    this.px = new Uint32Array(width * height);
    this.pattern(seed);
  }

  width(): number {
    return this.w;
  }
  height(): number {
    return this.h;
  }
  pixels(): Uint32Array {
    return this.px;
  }
  cursor(): CursorImage | null {
    return this.cur;
  }

  /** A picture with flat areas, gradients and noise (so every encoder has something to do). */
  pattern(seed: number): void {
    let s = seed >>> 0;
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const i = y * this.w + x;
        if (y < this.h / 3) this.px[i] = x < this.w / 2 ? 0xff2050a0 : 0xffe0e0e0;
        else if (y < (2 * this.h) / 3) this.px[i] = (0xff000000 | (((x * 255) / this.w) << 16) | (((y * 255) / this.h) << 8) | ((seed * 40) & 0xff)) >>> 0;
        else this.px[i] = (0xff000000 | (s >>> 8)) >>> 0;
      }
    }
  }

  fill(r: Rect, argb: number): void {
    for (let y = r.y; y < r.y + r.height; y++) this.px.fill(argb, y * this.w + r.x, y * this.w + r.x + r.width);
  }

  /** Moves a block of pixels the way a window move would (for copy hints). */
  move(src: { x: number; y: number }, dst: Rect): void {
    const block = new Uint32Array(dst.width * dst.height);
    for (let y = 0; y < dst.height; y++) block.set(this.px.subarray((src.y + y) * this.w + src.x, (src.y + y) * this.w + src.x + dst.width), y * dst.width);
    for (let y = 0; y < dst.height; y++) this.px.set(block.subarray(y * dst.width, (y + 1) * dst.width), (dst.y + y) * this.w + dst.x);
  }

  resize(width: number, height: number, seed = 7): void {
    this.w = width;
    this.h = height;
    this.px = new Uint32Array(width * height);
    this.pattern(seed);
  }
}

export async function startServer(source: TestSource, extra: Partial<VncServerOptions> = {}): Promise<{ server: VncServer; logs: string[] }> {
  const logs: string[] = [];
  const server = await VncServer.listen({ source, port: 0, log: (l) => logs.push(l), ...extra });
  return { server, logs };
}

/** Polls until `cond` holds (or fails the test after `ms`). */
export async function until(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A glyph: a solid square with a translucent border, so alpha blending shows. */
export function testCursor(x: number, y: number, size = 8): CursorImage {
  const argb = new Uint32Array(size * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const edge = i === 0 || j === 0 || i === size - 1 || j === size - 1;
      argb[j * size + i] = edge ? 0x80ff0000 : 0xff00ff00;
    }
  }
  argb[0] = 0; // one transparent corner
  return { width: size, height: size, hotX: 2, hotY: 3, argb, visible: true, x, y };
}

/**
 * The source with its cursor painted in by a plain per-pixel reference (straight-alpha
 * SourceOver, rounded), the result's alpha byte set to `alpha`.
 */
export function composeCursorReference(source: TestSource, alpha: number): Uint32Array {
  return composeReference(source.px, source.w, source.h, source.cur, alpha);
}
