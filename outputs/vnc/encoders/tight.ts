// Tight, lossless only (no JPEG): the rectangle is cut into pieces of at most 2048 pixels wide and
// 65536 pixels in all (the limits TightVNC servers keep, which every Tight client accepts), and
// each piece is a solid fill, a two-colour bitmap, an indexed palette (up to 256 colours) or plain
// pixels. Data shorter than 12 bytes goes as it is; longer data goes through one of the client's
// zlib streams (plain pixels stream 0, bitmaps 1, indexed 2) after a compact length.
import type { PixelConverter, PixelFormat } from '../pixel-format.js';
import { Encoding } from '../rfb.js';
import type { Rect } from '../types.js';
import { rectHeader } from '../wire.js';
import type { DeflateStream } from '../zstream.js';

export const TIGHT_MAX_WIDTH = 2048;
export const TIGHT_MAX_AREA = 65536;
export const TIGHT_MIN_TO_COMPRESS = 12;
/** Tight's compact length holds 22 bits. */
export const TIGHT_MAX_LENGTH = 0x3fffff;

const FILL = 0x80;
const EXPLICIT_FILTER = 0x40;
const FILTER_PALETTE = 1;

/** Tight sends 32-bit pixels with 8-bit channels as three bytes R, G, B (a TPIXEL). */
export function tightRgb24(pf: PixelFormat): boolean {
  return pf.bitsPerPixel === 32 && pf.depth === 24 && pf.redMax === 255 && pf.greenMax === 255 && pf.blueMax === 255;
}

export interface TightPiece {
  /** Relative to the rectangle given to tightPieces. */
  rect: Rect;
  /** Compression control byte, then the filter and palette where there is one. */
  head: Buffer;
  /** The (filtered) pixel data; empty for a fill. */
  data: Buffer;
  /** Which zlib stream compresses `data`, or null when it goes as it is. */
  stream: number | null;
  kind: 'fill' | 'copy' | 'mono' | 'indexed';
}

function tpixelWriter(conv: PixelConverter): { size: number; write(out: Uint8Array, pos: number, v: number): void } {
  const pf = conv.format;
  if (tightRgb24(pf)) {
    return {
      size: 3,
      write(out, pos, v) {
        out[pos] = (v >>> pf.redShift) & 0xff;
        out[pos + 1] = (v >>> pf.greenShift) & 0xff;
        out[pos + 2] = (v >>> pf.blueShift) & 0xff;
      },
    };
  }
  return { size: conv.bytesPerPixel, write: (out, pos, v) => conv.write(out, pos, v) };
}

/** Splits a rectangle into pieces Tight clients accept. */
export function tightSplit(width: number, height: number): Rect[] {
  const out: Rect[] = [];
  for (let x = 0; x < width; x += TIGHT_MAX_WIDTH) {
    const w = Math.min(TIGHT_MAX_WIDTH, width - x);
    const rows = Math.max(1, Math.floor(TIGHT_MAX_AREA / w));
    for (let y = 0; y < height; y += rows) out.push({ x, y, width: w, height: Math.min(rows, height - y) });
  }
  return out;
}

/** Encodes a width x height rectangle of pixel values as Tight pieces (before compression). */
export function tightPieces(values: Uint32Array, width: number, height: number, conv: PixelConverter): TightPiece[] {
  const tp = tpixelWriter(conv);
  return tightSplit(width, height).map((r) => piece(values, width, r, tp));
}

function piece(values: Uint32Array, stride: number, r: Rect, tp: { size: number; write(out: Uint8Array, pos: number, v: number): void }): TightPiece {
  const palette = new Map<number, number>();
  const order: number[] = [];
  for (let y = 0; y < r.height && palette.size <= 256; y++) {
    const row = (r.y + y) * stride + r.x;
    for (let x = 0; x < r.width; x++) {
      const v = values[row + x]!;
      if (!palette.has(v)) {
        palette.set(v, order.length);
        order.push(v);
        if (palette.size > 256) break;
      }
    }
  }
  const n = palette.size;
  const pixels = r.width * r.height;
  if (n === 1) {
    const head = Buffer.alloc(1 + tp.size);
    head[0] = FILL;
    tp.write(head, 1, order[0]!);
    return { rect: r, head, data: Buffer.alloc(0), stream: null, kind: 'fill' };
  }
  if (n === 2 || (n <= 256 && pixels >= 2 * n)) {
    const mono = n === 2;
    const streamId = mono ? 1 : 2;
    const head = Buffer.alloc(3 + n * tp.size);
    head[0] = EXPLICIT_FILTER | (streamId << 4);
    head[1] = FILTER_PALETTE;
    head[2] = n - 1;
    order.forEach((v, i) => tp.write(head, 3 + i * tp.size, v));
    let data: Buffer;
    if (mono) {
      const rowBytes = (r.width + 7) >> 3;
      data = Buffer.alloc(rowBytes * r.height);
      for (let y = 0; y < r.height; y++) {
        const row = (r.y + y) * stride + r.x;
        for (let x = 0; x < r.width; x++) {
          if (palette.get(values[row + x]!) === 1) data[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
        }
      }
    } else {
      data = Buffer.allocUnsafe(pixels);
      for (let y = 0; y < r.height; y++) {
        const row = (r.y + y) * stride + r.x;
        for (let x = 0; x < r.width; x++) data[y * r.width + x] = palette.get(values[row + x]!)!;
      }
    }
    return withStream({ rect: r, head, data, stream: streamId, kind: mono ? 'mono' : 'indexed' });
  }
  const data = Buffer.allocUnsafe(pixels * tp.size);
  let pos = 0;
  for (let y = 0; y < r.height; y++) {
    const row = (r.y + y) * stride + r.x;
    for (let x = 0; x < r.width; x++) {
      tp.write(data, pos, values[row + x]!);
      pos += tp.size;
    }
  }
  // Stream 0, no explicit filter: the copy filter.
  return withStream({ rect: r, head: Buffer.from([0x00]), data, stream: 0, kind: 'copy' });
}

function withStream(p: TightPiece): TightPiece {
  return p.data.length < TIGHT_MIN_TO_COMPRESS ? { ...p, stream: null } : p;
}

export function compactLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > TIGHT_MAX_LENGTH) throw new RangeError(`Tight length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([(n & 0x7f) | 0x80, n >> 7]);
  return Buffer.from([(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14]);
}

/**
 * The wire bytes of the pieces of the rectangle at `at` (absolute): one FramebufferUpdate rectangle
 * each. Compression starts now, in piece order, so the streams see the bytes in wire order.
 */
export function tightRects(pieces: TightPiece[], at: Rect, stream: (id: number) => DeflateStream): Array<Buffer | Promise<Buffer>> {
  return pieces.map((p) => {
    const header = rectHeader(at.x + p.rect.x, at.y + p.rect.y, p.rect.width, p.rect.height, Encoding.Tight);
    if (p.stream === null) return Buffer.concat([header, p.head, p.data]);
    return stream(p.stream)
      .compress(p.data)
      .then((z) => Buffer.concat([header, p.head, compactLength(z.length), z]));
  });
}
