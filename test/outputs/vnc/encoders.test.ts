// Each encoder's output decoded back by the reference decoder (test/support/vnc-client) must be
// the pixels that went in: Raw, CopyRect, ZRLE and Tight, in every pixel format, through zlib
// streams that persist across rectangles as the protocol requires.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { rawPayload } from '../../../outputs/vnc/encoders/raw.js';
import { compactLength, tightPieces, tightRects, TIGHT_MAX_AREA, TIGHT_MAX_WIDTH } from '../../../outputs/vnc/encoders/tight.js';
import { cpixelLayout, zrlePayload } from '../../../outputs/vnc/encoders/zrle.js';
import { PixelConverter, SERVER_PIXEL_FORMAT, type PixelFormat } from '../../../outputs/vnc/pixel-format.js';
import { Encoding } from '../../../outputs/vnc/rfb.js';
import type { Rect } from '../../../outputs/vnc/types.js';
import { copyRectPayload, rectHeader, updateHeader } from '../../../outputs/vnc/wire.js';
import { DeflateStream } from '../../../outputs/vnc/zstream.js';
import { BufferReader, ReferenceDecoder } from '../../support/vnc-client/reference-decoder.js';
import { image, validFormat } from './arbitraries.js';

type Name = 'raw' | 'zrle' | 'tight';

class Streams {
  zrleStream = new DeflateStream(6);
  tightStreams = [0, 1, 2, 3].map(() => new DeflateStream(6));
  close(): void {
    this.zrleStream.close();
    for (const s of this.tightStreams) s.close();
  }
}

/** Encodes pixel values at `at` and returns the rectangles' bytes and how many there are. */
async function encodeRect(name: Name, values: Uint32Array, at: Rect, conv: PixelConverter, st: Streams): Promise<{ bytes: Buffer; rects: number }> {
  if (name === 'raw') return { bytes: Buffer.concat([rectHeader(at.x, at.y, at.width, at.height, Encoding.Raw), rawPayload(values, conv)]), rects: 1 };
  if (name === 'zrle') {
    const body = await zrlePayload(values, at.width, at.height, conv, st.zrleStream);
    return { bytes: Buffer.concat([rectHeader(at.x, at.y, at.width, at.height, Encoding.Zrle), body]), rects: 1 };
  }
  // Tight parts are bytes or promises of bytes (zlib off the thread), in wire order.
  // eslint-disable-next-line @typescript-eslint/await-thenable
  const parts = await Promise.all(tightRects(tightPieces(values, at.width, at.height, conv), at, (id) => st.tightStreams[id]!));
  return { bytes: Buffer.concat(parts), rects: parts.length };
}

async function decodeUpdate(dec: ReferenceDecoder, rects: Buffer[], count: number): Promise<void> {
  const r = new BufferReader(Buffer.concat([updateHeader(count), ...rects]));
  await dec.update(r);
  expect(r.remaining).toBe(0);
}

describe.each<Name>(['raw', 'zrle', 'tight'])('%s', (name) => {
  it('decodes back to the input, any image, any format', async () => {
    await fc.assert(
      fc.asyncProperty(image(140), validFormat, async (img, pf) => {
        const conv = new PixelConverter(pf);
        const values = conv.values(img.argb);
        const st = new Streams();
        try {
          const dec = new ReferenceDecoder(img.width, img.height, pf);
          const { bytes, rects } = await encodeRect(name, values, { x: 0, y: 0, width: img.width, height: img.height }, conv, st);
          await decodeUpdate(dec, [bytes], rects);
          expect(dec.fb).toEqual(values);
        } finally {
          st.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps its zlib streams in step over many rectangles and updates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(image(60), fc.nat(140), fc.nat(140)), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(5), { maxLength: 5 }),
        async (placed, cuts) => {
          const W = 200;
          const H = 200;
          const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
          const want = new Uint32Array(W * H);
          const dec = new ReferenceDecoder(W, H, SERVER_PIXEL_FORMAT);
          const st = new Streams();
          try {
            let pending: Buffer[] = [];
            let count = 0;
            for (let i = 0; i < placed.length; i++) {
              const [img, x, y] = placed[i]!;
              const values = conv.values(img.argb);
              for (let r = 0; r < img.height; r++) want.set(values.subarray(r * img.width, (r + 1) * img.width), (y + r) * W + x);
              const e = await encodeRect(name, values, { x, y, width: img.width, height: img.height }, conv, st);
              pending.push(e.bytes);
              count += e.rects;
              // Some rectangles share an update, others get their own.
              if (cuts.includes(i) || i === placed.length - 1) {
                await decodeUpdate(dec, pending, count);
                pending = [];
                count = 0;
              }
            }
            expect(dec.fb).toEqual(want);
          } finally {
            st.close();
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('ZRLE', () => {
  it('uses every tile subencoding where it is the smallest', async () => {
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const W = 64 * 5;
    const H = 64;
    const argb = new Uint32Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const t = Math.floor(x / 64);
        const i = y * W + x;
        if (t === 0)
          argb[i] = 0xff336699; // solid
        else if (t === 1)
          argb[i] = [0xff000000, 0xffffffff, 0xffff0000][(x * 7 + y * 3) % 3]!; // packed palette
        else if (t === 2)
          argb[i] = 0xff000000 + (Math.floor((y * 64 + x) / 5) % 10) * 0x010203; // palette RLE: few colours, short runs
        else if (t === 3)
          argb[i] = 0xff000000 + Math.floor((y * 64 + x) / 300) * 0x0a0b0c; // plain RLE: long runs
        else argb[i] = (0xff000000 | (Math.imul(i + 1, 2654435761) >>> 8)) >>> 0; // noise: raw
      }
    }
    const st = new Streams();
    const dec = new ReferenceDecoder(W, H, SERVER_PIXEL_FORMAT);
    const values = conv.values(argb);
    const { bytes } = await encodeRect('zrle', values, { x: 0, y: 0, width: W, height: H }, conv, st);
    st.close();
    await decodeUpdate(dec, [bytes], 1);
    expect(dec.fb).toEqual(values);
    expect([...dec.seen.zrle.keys()].sort()).toEqual(['packed', 'palette-rle', 'plain-rle', 'raw', 'solid']);
  });

  it('sends three-byte CPIXELs where a 32-bit format allows, and says which bytes', () => {
    const f = (o: Partial<PixelFormat>) => cpixelLayout({ ...SERVER_PIXEL_FORMAT, ...o });
    expect(f({})).toEqual({ size: 3, offset: 0 });
    expect(f({ bigEndian: true })).toEqual({ size: 3, offset: 1 });
    expect(f({ redShift: 24, greenShift: 16, blueShift: 8 })).toEqual({ size: 3, offset: 1 });
    expect(f({ redShift: 24, greenShift: 16, blueShift: 8, bigEndian: true })).toEqual({ size: 3, offset: 0 });
    expect(f({ depth: 32 })).toEqual({ size: 4, offset: 0 });
    expect(f({ redShift: 24, greenShift: 8, blueShift: 0 })).toEqual({ size: 4, offset: 0 });
    expect(f({ bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 })).toEqual({
      size: 2,
      offset: 0,
    });
  });
});

describe('Tight', () => {
  it('uses fill, mono, indexed and copy pieces, compressed or not', async () => {
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const st = new Streams();
    const dec = new ReferenceDecoder(300, 40, SERVER_PIXEL_FORMAT);
    const parts: Buffer[] = [];
    let count = 0;
    const add = async (x: number, w: number, h: number, f: (i: number) => number) => {
      const argb = Uint32Array.from({ length: w * h }, (_, i) => f(i));
      const e = await encodeRect('tight', conv.values(argb), { x, y: 0, width: w, height: h }, conv, st);
      parts.push(e.bytes);
      count += e.rects;
    };
    await add(0, 50, 40, () => 0xff101010); // fill
    await add(50, 50, 40, (i) => (i % 3 ? 0xffffffff : 0xff000000)); // mono
    await add(100, 50, 40, (i) => 0xff000000 + (i % 50) * 3); // indexed
    await add(150, 50, 40, (i) => (0xff000000 | (Math.imul(i + 7, 2654435761) >>> 8)) >>> 0); // copy
    await add(200, 3, 1, (i) => [0xff0000ff, 0xff00ff00, 0xffff0000][i]!); // 9 bytes of pixels: uncompressed
    st.close();
    await decodeUpdate(dec, parts, count);
    expect([...dec.seen.tight.keys()].sort()).toEqual(['copy', 'fill', 'indexed', 'mono', 'uncompressed']);
  });

  it('splits big rectangles into pieces Tight clients accept', async () => {
    const sizes: Array<[number, number]> = [
      [3000, 30],
      [300, 300],
      [2048, 32],
      [1, 70000 >> 4],
    ];
    for (const [w, h] of sizes) {
      const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
      const argb = Uint32Array.from({ length: w * h }, (_, i) => (0xff000000 | Math.imul(i, 40503)) >>> 0);
      const pieces = tightPieces(conv.values(argb), w, h, conv);
      for (const p of pieces) {
        expect(p.rect.width).toBeLessThanOrEqual(TIGHT_MAX_WIDTH);
        expect(p.rect.width * p.rect.height).toBeLessThanOrEqual(TIGHT_MAX_AREA);
      }
      expect(pieces.reduce((s, p) => s + p.rect.width * p.rect.height, 0)).toBe(w * h);
      const st = new Streams();
      const dec = new ReferenceDecoder(w, h, SERVER_PIXEL_FORMAT);
      const e = await encodeRect('tight', conv.values(argb), { x: 0, y: 0, width: w, height: h }, conv, st);
      st.close();
      await decodeUpdate(dec, [e.bytes], e.rects);
      expect(dec.fb).toEqual(conv.values(argb));
    }
  });

  it('writes compact lengths in one to three bytes', () => {
    expect(compactLength(0)).toEqual(Buffer.from([0]));
    expect(compactLength(127)).toEqual(Buffer.from([0x7f]));
    expect(compactLength(128)).toEqual(Buffer.from([0x80, 0x01]));
    expect(compactLength(16383)).toEqual(Buffer.from([0xff, 0x7f]));
    expect(compactLength(16384)).toEqual(Buffer.from([0x80, 0x80, 0x01]));
    expect(compactLength(0x3fffff)).toEqual(Buffer.from([0xff, 0xff, 0xff]));
    expect(() => compactLength(0x400000)).toThrow(RangeError);
  });
});

describe('CopyRect', () => {
  it('copies what the client already has, overlapping or not', async () => {
    await fc.assert(
      fc.asyncProperty(image(40), fc.nat(30), fc.nat(30), fc.nat(30), fc.nat(30), async (img, sx, sy, dx, dy) => {
        const W = 80;
        const H = 80;
        const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
        const dec = new ReferenceDecoder(W, H, SERVER_PIXEL_FORMAT);
        const values = conv.values(img.argb);
        const src: Rect = { x: sx, y: sy, width: img.width, height: img.height };
        await decodeUpdate(dec, [Buffer.concat([rectHeader(sx, sy, img.width, img.height, Encoding.Raw), rawPayload(values, conv)])], 1);
        const before = Uint32Array.from(dec.fb);
        await decodeUpdate(dec, [Buffer.concat([rectHeader(dx, dy, src.width, src.height, Encoding.CopyRect), copyRectPayload(sx, sy)])], 1);
        for (let y = 0; y < img.height; y++) {
          for (let x = 0; x < img.width; x++) expect(dec.fb[(dy + y) * W + dx + x]).toBe(before[(sy + y) * W + sx + x]);
        }
      }),
      { numRuns: 100 },
    );
  });
});
