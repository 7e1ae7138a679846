// The cursor for the two kinds of client. One that asked for the Cursor or CursorWithAlpha
// pseudo-encoding draws it itself: it gets the glyph (a 1-bit mask, or premultiplied RGBA).
// One that did not gets it painted into its pixels: SourceOver with straight alpha, hotspot
// honoured, clipped to the framebuffer. The server damages the old and the new cursor rectangle
// of such a client whenever the cursor moves or changes, so nothing stays behind.
import type { PixelConverter } from './pixel-format.js';
import { intersect } from './region.js';
import type { CursorImage, Rect } from './types.js';

/** Where the glyph lands on the framebuffer (may start left of or above the origin). */
export function cursorRect(c: CursorImage): Rect {
  return { x: c.x - c.hotX, y: c.y - c.hotY, width: c.width, height: c.height };
}

/** True when the cursor is something to draw: visible, non-empty, and its glyph is whole. */
export function drawable(c: CursorImage | null): c is CursorImage {
  return (
    c !== null && c.visible && c.width > 0 && c.height > 0 && Number.isInteger(c.width) && Number.isInteger(c.height) && c.argb.length >= c.width * c.height
  );
}

/** The part of the framebuffer the cursor covers, or null. */
export function visibleCursorRect(c: CursorImage | null, fbWidth: number, fbHeight: number): Rect | null {
  if (!drawable(c)) return null;
  return intersect(cursorRect(c), { x: 0, y: 0, width: fbWidth, height: fbHeight });
}

/** Paints the cursor over `pixels`, the ARGB content of framebuffer area `at` (row-major, at.width wide). */
export function compositeCursor(pixels: Uint32Array, at: Rect, c: CursorImage | null): void {
  if (!drawable(c)) return;
  const cr = cursorRect(c);
  const i = intersect(cr, at);
  if (!i) return;
  for (let y = i.y; y < i.y + i.height; y++) {
    const gRow = (y - cr.y) * c.width - cr.x;
    const pRow = (y - at.y) * at.width - at.x;
    for (let x = i.x; x < i.x + i.width; x++) {
      const s = c.argb[gRow + x]!;
      const a = s >>> 24;
      if (a === 0) continue;
      const k = pRow + x;
      if (a === 255) {
        pixels[k] = s;
        continue;
      }
      const d = pixels[k]!;
      const na = 255 - a;
      // Rounded integer SourceOver: (s*a + d*(255-a)) / 255 per channel.
      const r = Math.floor((((s >>> 16) & 0xff) * a + ((d >>> 16) & 0xff) * na + 127) / 255);
      const g = Math.floor((((s >>> 8) & 0xff) * a + ((d >>> 8) & 0xff) * na + 127) / 255);
      const b = Math.floor(((s & 0xff) * a + (d & 0xff) * na + 127) / 255);
      const oa = a + Math.floor(((d >>> 24) * na + 127) / 255);
      pixels[k] = ((oa << 24) | (r << 16) | (g << 8) | b) >>> 0;
    }
  }
}

/** A fully transparent 1x1 glyph: how a hidden or undefined cursor is sent (clients ignore 0x0 shapes). */
export const HIDDEN_CURSOR: CursorImage = Object.freeze({
  width: 1,
  height: 1,
  hotX: 0,
  hotY: 0,
  argb: new Uint32Array(1),
  visible: true,
  x: 0,
  y: 0,
});

/** The glyph a local-cursor client should show. */
export function shapeToSend(c: CursorImage | null): CursorImage {
  return drawable(c) && c.hotX >= 0 && c.hotY >= 0 && c.hotX < 0x10000 && c.hotY < 0x10000 && c.width < 0x10000 && c.height < 0x10000 ? c : HIDDEN_CURSOR;
}

/** Cursor pseudo-encoding (-239) payload: pixels in the client's format, then a bitmask (alpha >= 128). */
export function richCursorPayload(c: CursorImage, conv: PixelConverter): Buffer {
  const n = c.width * c.height;
  const glyph = c.argb.subarray(0, n);
  const pixels = conv.pack(conv.values(glyph));
  const rowBytes = (c.width + 7) >> 3;
  const mask = Buffer.alloc(rowBytes * c.height);
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      if (glyph[y * c.width + x]! >>> 24 >= 128) mask[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return Buffer.concat([pixels, mask]);
}

/**
 * CursorWithAlpha pseudo-encoding (-314) payload: the sub-encoding (Raw, S32) then R, G, B, A bytes
 * per pixel with alpha premultiplied — the byte order TigerVNC's server writes (docs/vnc.md).
 */
export function alphaCursorPayload(c: CursorImage): Buffer {
  const n = c.width * c.height;
  const out = Buffer.alloc(4 + n * 4); // the first four bytes are encoding 0 (Raw)
  for (let i = 0; i < n; i++) {
    const p = c.argb[i]!;
    const a = p >>> 24;
    const o = 4 + i * 4;
    out[o] = Math.floor((((p >>> 16) & 0xff) * a + 127) / 255);
    out[o + 1] = Math.floor((((p >>> 8) & 0xff) * a + 127) / 255);
    out[o + 2] = Math.floor(((p & 0xff) * a + 127) / 255);
    out[o + 3] = a;
  }
  return out;
}
