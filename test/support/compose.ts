// The reference composition every cursor test compares against: a plain per-pixel straight-alpha
// SourceOver of the glyph at (x - hotX, y - hotY), rounded, the result's alpha byte set to `alpha`.
// Deliberately naive, so it shares no code with the compositor's own compositing.
export interface ReferenceCursor {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  argb: Uint32Array;
  x: number;
  y: number;
  visible: boolean;
}

export function composeReference(pixels: Uint32Array, width: number, height: number, cursor: ReferenceCursor | null, alpha: number): Uint32Array {
  const out = Uint32Array.from(pixels, (p) => ((alpha << 24) | (p & 0xffffff)) >>> 0);
  if (!cursor || !cursor.visible) return out;
  for (let gy = 0; gy < cursor.height; gy++) {
    for (let gx = 0; gx < cursor.width; gx++) {
      const x = cursor.x - cursor.hotX + gx;
      const y = cursor.y - cursor.hotY + gy;
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const s = cursor.argb[gy * cursor.width + gx]!;
      const d = out[y * width + x]!;
      const a = s >>> 24;
      const ch = (sh: number) => Math.round((((s >>> sh) & 255) * a + ((d >>> sh) & 255) * (255 - a)) / 255);
      out[y * width + x] = ((alpha << 24) | (ch(16) << 16) | (ch(8) << 8) | ch(0)) >>> 0;
    }
  }
  return out;
}
