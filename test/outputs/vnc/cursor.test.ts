// The cursor: painted in with SourceOver (straight alpha, hotspot honoured, clipped), or sent as
// a Cursor (-239) mask or CursorWithAlpha (-314) premultiplied RGBA glyph.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  alphaCursorPayload,
  compositeCursor,
  cursorRect,
  HIDDEN_CURSOR,
  richCursorPayload,
  shapeToSend,
  visibleCursorRect,
} from '../../../outputs/vnc/cursor.js';
import { PixelConverter, SERVER_PIXEL_FORMAT } from '../../../outputs/vnc/pixel-format.js';
import type { CursorImage, Rect } from '../../../outputs/vnc/types.js';
import { validFormat } from './arbitraries.js';

/** Alpha values that matter: transparent, opaque and in between. */
const glyphPixel = fc.tuple(fc.constantFrom(0, 0, 255, 255, 1, 128, 254, 77), fc.nat(0xffffff)).map(([a, rgb]) => ((a << 24) | rgb) >>> 0);

const cursor: fc.Arbitrary<CursorImage> = fc
  .record({
    width: fc.integer({ min: 1, max: 12 }),
    height: fc.integer({ min: 1, max: 12 }),
    hot: fc.tuple(fc.nat(11), fc.nat(11)),
    x: fc.integer({ min: -15, max: 45 }),
    y: fc.integer({ min: -15, max: 35 }),
    visible: fc.boolean(),
    pixels: fc.array(glyphPixel, { minLength: 144, maxLength: 144 }),
  })
  .map(({ width, height, hot, x, y, visible, pixels }) => ({
    width,
    height,
    hotX: Math.min(hot[0], width - 1),
    hotY: Math.min(hot[1], height - 1),
    argb: Uint32Array.from(pixels.slice(0, width * height)),
    visible,
    x,
    y,
  }));

/** Reference SourceOver for one pixel, in floating point, rounded. */
function over(s: number, d: number): number {
  const a = s >>> 24;
  const ch = (sh: number) => Math.round((((s >>> sh) & 0xff) * a + ((d >>> sh) & 0xff) * (255 - a)) / 255);
  const oa = a + Math.round(((d >>> 24) * (255 - a)) / 255);
  return ((oa << 24) | (ch(16) << 16) | (ch(8) << 8) | ch(0)) >>> 0;
}

describe('compositeCursor', () => {
  it('matches a per-pixel reference over any area, clipped, hotspot honoured', () => {
    fc.assert(
      fc.property(
        cursor,
        fc.record({ x: fc.nat(30), y: fc.nat(20), width: fc.integer({ min: 1, max: 20 }), height: fc.integer({ min: 1, max: 15 }) }),
        fc.array(fc.nat({ max: 0xffffffff }), { minLength: 300, maxLength: 300 }),
        (c, at: Rect, bg) => {
          const pixels = Uint32Array.from(bg.slice(0, at.width * at.height));
          const want = Uint32Array.from(pixels);
          if (c.visible) {
            for (let y = 0; y < at.height; y++) {
              for (let x = 0; x < at.width; x++) {
                const gx = at.x + x - (c.x - c.hotX);
                const gy = at.y + y - (c.y - c.hotY);
                if (gx < 0 || gy < 0 || gx >= c.width || gy >= c.height) continue;
                want[y * at.width + x] = over(c.argb[gy * c.width + gx]!, want[y * at.width + x]!);
              }
            }
          }
          compositeCursor(pixels, at, c);
          expect(Array.from(pixels)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('paints the glyph with its hotspot on the pointer position', () => {
    const argb = new Uint32Array(9).fill(0xffff0000);
    const c: CursorImage = { width: 3, height: 3, hotX: 1, hotY: 2, argb, visible: true, x: 5, y: 5 };
    const pixels = new Uint32Array(100);
    compositeCursor(pixels, { x: 0, y: 0, width: 10, height: 10 }, c);
    const painted = [...pixels.keys()].filter((i) => pixels[i] === 0xffff0000).map((i) => [i % 10, Math.floor(i / 10)]);
    expect(painted).toEqual([
      [4, 3],
      [5, 3],
      [6, 3],
      [4, 4],
      [5, 4],
      [6, 4],
      [4, 5],
      [5, 5],
      [6, 5],
    ]);
    expect(cursorRect(c)).toEqual({ x: 4, y: 3, width: 3, height: 3 });
  });

  it('does nothing for a hidden, missing or broken cursor', () => {
    const pixels = new Uint32Array(16).fill(7);
    const at = { x: 0, y: 0, width: 4, height: 4 };
    const c: CursorImage = { width: 2, height: 2, hotX: 0, hotY: 0, argb: new Uint32Array(4).fill(0xffffffff), visible: false, x: 1, y: 1 };
    compositeCursor(pixels, at, c);
    compositeCursor(pixels, at, null);
    compositeCursor(pixels, at, { ...c, visible: true, argb: new Uint32Array(3) }); // too few glyph pixels
    expect(pixels.every((p) => p === 7)).toBe(true);
  });
});

describe('visibleCursorRect', () => {
  it('is the glyph rectangle clipped to the framebuffer, or null', () => {
    const c: CursorImage = { width: 8, height: 8, hotX: 2, hotY: 3, argb: new Uint32Array(64), visible: true, x: 1, y: 1 };
    expect(visibleCursorRect(c, 100, 100)).toEqual({ x: 0, y: 0, width: 7, height: 6 });
    expect(visibleCursorRect({ ...c, x: 200 }, 100, 100)).toBeNull();
    expect(visibleCursorRect({ ...c, visible: false }, 100, 100)).toBeNull();
    expect(visibleCursorRect(null, 100, 100)).toBeNull();
  });
});

describe('cursor pseudo-encodings', () => {
  it('Cursor (-239): pixels in the client format, then a mask set where alpha >= 128', () => {
    fc.assert(
      fc.property(cursor, validFormat, (c, pf) => {
        const conv = new PixelConverter(pf);
        const b = richCursorPayload(c, conv);
        const n = c.width * c.height;
        const glyph = c.argb.subarray(0, n);
        expect(b.subarray(0, n * conv.bytesPerPixel)).toEqual(conv.pack(conv.values(glyph)));
        const rowBytes = Math.ceil(c.width / 8);
        const mask = b.subarray(n * conv.bytesPerPixel);
        expect(mask.length).toBe(rowBytes * c.height);
        for (let y = 0; y < c.height; y++) {
          for (let x = 0; x < c.width; x++) {
            const bit = (mask[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
            expect(bit).toBe(glyph[y * c.width + x]! >>> 24 >= 128 ? 1 : 0);
          }
        }
      }),
    );
  });

  it('CursorWithAlpha (-314): Raw, then R, G, B premultiplied and A', () => {
    const c: CursorImage = {
      width: 2,
      height: 1,
      hotX: 0,
      hotY: 0,
      visible: true,
      x: 0,
      y: 0,
      argb: Uint32Array.of(0x80ff8040, 0xff123456),
    };
    expect(alphaCursorPayload(c)).toEqual(Buffer.from([0, 0, 0, 0, 0x80, 0x40, 0x20, 0x80, 0x12, 0x34, 0x56, 0xff]));
  });

  it('a hidden or undefined cursor is sent as one transparent pixel', () => {
    const c: CursorImage = { width: 2, height: 2, hotX: 0, hotY: 0, argb: new Uint32Array(4), visible: false, x: 0, y: 0 };
    expect(shapeToSend(c)).toBe(HIDDEN_CURSOR);
    expect(shapeToSend(null)).toBe(HIDDEN_CURSOR);
    expect(richCursorPayload(HIDDEN_CURSOR, new PixelConverter(SERVER_PIXEL_FORMAT))).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    const shown = { ...c, visible: true };
    expect(shapeToSend(shown)).toBe(shown);
  });
});
