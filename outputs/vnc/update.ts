// Turning one client's share of the framebuffer into FramebufferUpdate rectangles. Everything
// that reads the source happens in capture(), synchronously, while the update starts (inside the
// source's snapshot(), so the frame cannot change under it): the pixels of each damaged rectangle
// are copied, with the cursor painted in for a client that does not draw its own. Conversion and
// compression come after (finish()), from those copies, so whatever the compositor does to its
// buffer meanwhile cannot tear an update.
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

  /** Pixel rectangles captured and not yet encoded (finish() encodes them, in order). */
  private captured: Array<() => void> = [];

  /**
   * Copies the pixels of `r` from `fb` (fbWidth wide) now, with `cursor` painted in when given;
   * finish() encodes them later in `encoding` and the client's format as it is now.
   */
  capture(
    fb: Uint32Array,
    fbWidth: number,
    r: Rect,
    cursor: CursorImage | null,
    encoding: EncodingName,
    conv: PixelConverter,
    streams: { zrle(): DeflateStream; tight(id: number): DeflateStream },
  ): void {
    const argb = new Uint32Array(r.width * r.height);
    for (let y = 0; y < r.height; y++) {
      const from = (r.y + y) * fbWidth + r.x;
      argb.set(fb.subarray(from, from + r.width), y * r.width);
    }
    if (cursor) compositeCursor(argb, r, cursor);
    this.captured.push(() => this.encode(argb, r, encoding, conv, streams));
  }

  /** Encodes every captured rectangle (after the frame was let go: this is the slow part). */
  finish(): this {
    const jobs = this.captured;
    this.captured = [];
    for (const job of jobs) job();
    return this;
  }

  private encode(
    argb: Uint32Array,
    r: Rect,
    encoding: EncodingName,
    conv: PixelConverter,
    streams: { zrle(): DeflateStream; tight(id: number): DeflateStream },
  ): void {
    const values = conv.values(argb);
    switch (encoding) {
      case 'raw':
        this.parts.push(rectHeader(r.x, r.y, r.width, r.height, Encoding.Raw), rawPayload(values, conv));
        this.count('raw');
        return;
      case 'zrle':
        this.parts.push(rectHeader(r.x, r.y, r.width, r.height, Encoding.Zrle), zrlePayload(values, r.width, r.height, conv, streams.zrle()));
        this.count('zrle');
        return;
      case 'tight': {
        const rects = tightRects(tightPieces(values, r.width, r.height, conv), r, streams.tight);
        this.parts.push(...rects);
        this.count('tight', rects.length);
        return;
      }
    }
  }
}
