// ZRLE (RFC 6143 7.7.6): 64x64 tiles, each sent as whichever of solid, packed palette, palette
// RLE, plain RLE or raw is smallest, all through the client's one zlib stream. Pixels are
// CPIXELs: 3 bytes when a 32-bit format's colour bits fit in its low or high three bytes.
import type { PixelConverter, PixelFormat } from '../pixel-format.js';
import type { DeflateStream } from '../zstream.js';

export const ZRLE_TILE = 64;

export interface CPixelLayout {
  /** Bytes per CPIXEL. */
  size: number;
  /** Which bytes of the full pixel (as it lies on the wire) the CPIXEL keeps. */
  offset: number;
}

export function cpixelLayout(pf: PixelFormat): CPixelLayout {
  const bpp = pf.bitsPerPixel / 8;
  if (pf.bitsPerPixel !== 32 || pf.depth > 24 || !pf.trueColour) return { size: bpp, offset: 0 };
  const used = ((pf.redMax << pf.redShift) | (pf.greenMax << pf.greenShift) | (pf.blueMax << pf.blueShift)) >>> 0;
  // The spec prefers the least significant three bytes when both would do.
  if ((used & 0xff000000) === 0) return { size: 3, offset: pf.bigEndian ? 1 : 0 };
  if ((used & 0xff) === 0) return { size: 3, offset: pf.bigEndian ? 0 : 1 };
  return { size: 4, offset: 0 };
}

/** Writes CPIXELs of pixel values. */
export function cpixelWriter(conv: PixelConverter): { size: number; write(out: Uint8Array, pos: number, v: number): void } {
  const { size, offset } = cpixelLayout(conv.format);
  if (size === conv.bytesPerPixel) return { size, write: (out, pos, v) => conv.write(out, pos, v) };
  const full = new Uint8Array(4);
  return {
    size,
    write(out, pos, v) {
      conv.write(full, 0, v);
      out[pos] = full[offset]!;
      out[pos + 1] = full[offset + 1]!;
      out[pos + 2] = full[offset + 2]!;
    },
  };
}

function runLengthBytes(run: number): number {
  return Math.floor((run - 1) / 255) + 1;
}

function writeRunLength(out: Uint8Array, pos: number, run: number): number {
  let rest = run - 1;
  while (rest >= 255) {
    out[pos++] = 255;
    rest -= 255;
  }
  out[pos++] = rest;
  return pos;
}

/** The uncompressed ZRLE tile stream for a width x height rectangle of pixel values. */
export function zrleTiles(values: Uint32Array, width: number, height: number, conv: PixelConverter): Buffer {
  const cp = cpixelWriter(conv);
  const tiles = Math.ceil(width / ZRLE_TILE) * Math.ceil(height / ZRLE_TILE);
  // Raw is the largest choice a tile can end up with.
  const out = Buffer.allocUnsafe(tiles * (1 + ZRLE_TILE * ZRLE_TILE * cp.size));
  let pos = 0;
  const palette = new Map<number, number>();
  const order: number[] = [];
  for (let ty = 0; ty < height; ty += ZRLE_TILE) {
    const th = Math.min(ZRLE_TILE, height - ty);
    for (let tx = 0; tx < width; tx += ZRLE_TILE) {
      const tw = Math.min(ZRLE_TILE, width - tx);
      palette.clear();
      order.length = 0;
      // One pass: palette (up to 127 colours) and the sizes of both run-length forms.
      let plainRle = 0;
      let paletteRle = 0;
      let prev = -1;
      let run = 0;
      const endRun = () => {
        plainRle += cp.size + runLengthBytes(run);
        paletteRle += 1 + (run > 1 ? runLengthBytes(run) : 0);
      };
      for (let y = 0; y < th; y++) {
        const row = (ty + y) * width + tx;
        for (let x = 0; x < tw; x++) {
          const v = values[row + x]!;
          if (palette.size <= 127 && !palette.has(v)) {
            palette.set(v, order.length);
            order.push(v);
          }
          if (v === prev) {
            run++;
          } else {
            if (run > 0) endRun();
            prev = v;
            run = 1;
          }
        }
      }
      endRun();
      const n = palette.size;
      if (n === 1) {
        out[pos++] = 1;
        cp.write(out, pos, order[0]!);
        pos += cp.size;
        continue;
      }
      const raw = tw * th * cp.size;
      const bits = n === 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 0;
      const packed = bits ? n * cp.size + Math.ceil((tw * bits) / 8) * th : Infinity;
      const palRle = n <= 127 ? n * cp.size + paletteRle : Infinity;
      const best = Math.min(raw, plainRle, packed, palRle);
      if (best === packed) {
        out[pos++] = n;
        for (const v of order) {
          cp.write(out, pos, v);
          pos += cp.size;
        }
        for (let y = 0; y < th; y++) {
          const row = (ty + y) * width + tx;
          let acc = 0;
          let nbits = 0;
          for (let x = 0; x < tw; x++) {
            acc = (acc << bits) | palette.get(values[row + x]!)!;
            nbits += bits;
            if (nbits === 8) {
              out[pos++] = acc;
              acc = 0;
              nbits = 0;
            }
          }
          if (nbits > 0) out[pos++] = (acc << (8 - nbits)) & 0xff;
        }
      } else if (best === palRle) {
        out[pos++] = 128 + n;
        for (const v of order) {
          cp.write(out, pos, v);
          pos += cp.size;
        }
        pos = writeRuns(values, width, tx, ty, tw, th, out, pos, (o, p, v, r) => {
          const idx = palette.get(v)!;
          if (r === 1) {
            o[p] = idx;
            return p + 1;
          }
          o[p] = idx | 128;
          return writeRunLength(o, p + 1, r);
        });
      } else if (best === plainRle) {
        out[pos++] = 128;
        pos = writeRuns(values, width, tx, ty, tw, th, out, pos, (o, p, v, r) => {
          cp.write(o, p, v);
          return writeRunLength(o, p + cp.size, r);
        });
      } else {
        out[pos++] = 0;
        for (let y = 0; y < th; y++) {
          const row = (ty + y) * width + tx;
          for (let x = 0; x < tw; x++) {
            cp.write(out, pos, values[row + x]!);
            pos += cp.size;
          }
        }
      }
    }
  }
  return out.subarray(0, pos);
}

/** Walks a tile's runs (they continue across rows) and lets `emit` write each. */
function writeRuns(
  values: Uint32Array,
  width: number,
  tx: number,
  ty: number,
  tw: number,
  th: number,
  out: Uint8Array,
  pos: number,
  emit: (out: Uint8Array, pos: number, value: number, run: number) => number,
): number {
  let prev = 0;
  let run = 0;
  for (let y = 0; y < th; y++) {
    const row = (ty + y) * width + tx;
    for (let x = 0; x < tw; x++) {
      const v = values[row + x]!;
      if (run > 0 && v === prev) {
        run++;
        continue;
      }
      if (run > 0) pos = emit(out, pos, prev, run);
      prev = v;
      run = 1;
    }
  }
  return emit(out, pos, prev, run);
}

/** A ZRLE rectangle's payload: U32 length, then the tiles through the client's stream. */
export async function zrlePayload(values: Uint32Array, width: number, height: number, conv: PixelConverter, stream: DeflateStream): Promise<Buffer> {
  const z = await stream.compress(zrleTiles(values, width, height, conv));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(z.length, 0);
  return Buffer.concat([len, z]);
}
