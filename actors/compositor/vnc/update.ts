// Turning one client's share of the framebuffer into FramebufferUpdate rectangles. Everything
// that reads the source happens here, synchronously, when the update starts: the pixels of each
// damaged rectangle are copied (with the cursor painted in for a client that does not draw its
// own) and converted to the client's format. Only compression is left for later, so whatever
// the compositor does to its buffer afterwards cannot tear an update.
import { alphaCursorPayload, compositeCursor, richCursorPayload, shapeToSend } from './cursor.js';
import { rawPayload } from './encoders/raw.js';
import { tightPieces, tightRects } from './encoders/tight.js';
import { zrlePayload } from './encoders/zrle.js';
import type { PixelConverter } from './pixel-format.js';
import { Encoding } from './rfb.js';
import type { CursorImage, CursorMode, EncodingName, Rect, VncRectCounts } from './types.js';
import { copyRectPayload, rectHeader } from './wire.js';
import type { DeflateStream } from './zstream.js';

/** Rectangles of one update, in wire order; promises are rectangles still being compressed. */
export class UpdateBuilder {
  readonly parts: Array<Buffer | Promise<Buffer>> = [];
  rects = 0;
  readonly counts: Partial<Record<keyof VncRectCounts, number>> = {};

  private count(kind: keyof VncRectCounts, n = 1): void {
    this.rects += n;
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
  }

  desktopSize(width: number, height: number): void {
    this.parts.push(rectHeader(0, 0, width, height, Encoding.DesktopSize));
    this.count('desktopSize');
  }

  cursorShape(cursor: CursorImage | null, mode: CursorMode, conv: PixelConverter): void {
    const c = shapeToSend(cursor);
    if (mode === 'cursor-with-alpha') {
      this.parts.push(rectHeader(c.hotX, c.hotY, c.width, c.height, Encoding.CursorWithAlpha), alphaCursorPayload(c));
      this.count('cursorWithAlpha');
    } else {
      this.parts.push(rectHeader(c.hotX, c.hotY, c.width, c.height, Encoding.Cursor), richCursorPayload(c, conv));
      this.count('cursor');
    }
  }

  pointerPos(x: number, y: number): void {
    this.parts.push(rectHeader(x, y, 0, 0, Encoding.PointerPos));
    this.count('pointerPos');
  }

  copyRect(srcX: number, srcY: number, dst: Rect): void {
    this.parts.push(rectHeader(dst.x, dst.y, dst.width, dst.height, Encoding.CopyRect), copyRectPayload(srcX, srcY));
    this.count('copyRect');
  }

  /**
   * Pixels of `r`, read now from `fb` (fbWidth wide), in `encoding`. `cursor` is painted in when
   * given. Returns how many rectangles it added (Tight may split one into several).
   */
  pixels(
    fb: Uint32Array,
    fbWidth: number,
    r: Rect,
    cursor: CursorImage | null,
    encoding: EncodingName,
    conv: PixelConverter,
    streams: { zrle(): DeflateStream; tight(id: number): DeflateStream },
  ): number {
    const argb = new Uint32Array(r.width * r.height);
    for (let y = 0; y < r.height; y++) {
      const from = (r.y + y) * fbWidth + r.x;
      argb.set(fb.subarray(from, from + r.width), y * r.width);
    }
    if (cursor) compositeCursor(argb, r, cursor);
    const values = conv.values(argb);
    switch (encoding) {
      case 'raw':
        this.parts.push(rectHeader(r.x, r.y, r.width, r.height, Encoding.Raw), rawPayload(values, conv));
        this.count('raw');
        return 1;
      case 'zrle':
        this.parts.push(rectHeader(r.x, r.y, r.width, r.height, Encoding.Zrle), zrlePayload(values, r.width, r.height, conv, streams.zrle()));
        this.count('zrle');
        return 1;
      case 'tight': {
        const rects = tightRects(tightPieces(values, r.width, r.height, conv), r, streams.tight);
        this.parts.push(...rects);
        this.count('tight', rects.length);
        return rects.length;
      }
    }
  }
}
