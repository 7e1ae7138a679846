// Pixel formats: the wire form round-trips, and conversion from ARGB matches a plain reference for
// every valid true-colour format (8/16/32 bpp, any maxes and shifts, either byte order).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  decodePixelFormat,
  encodePixelFormat,
  PixelConverter,
  pixelFormatProblem,
  samePixelFormat,
  SERVER_PIXEL_FORMAT,
  type PixelFormat,
} from '../../../outputs/vnc/pixel-format.js';
import { argbWord, validFormat } from './arbitraries.js';

/** The reference: scale each 8-bit channel with rounding, place it, write the bytes with DataView. */
function referenceBytes(pf: PixelFormat, argb: Uint32Array): Buffer {
  const n = pf.bitsPerPixel / 8;
  const out = Buffer.alloc(argb.length * n);
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  argb.forEach((p, i) => {
    const scale = (c: number, max: number) => Math.round((c * max) / 255);
    const v =
      scale((p >>> 16) & 0xff, pf.redMax) * 2 ** pf.redShift +
      scale((p >>> 8) & 0xff, pf.greenMax) * 2 ** pf.greenShift +
      scale(p & 0xff, pf.blueMax) * 2 ** pf.blueShift;
    if (n === 1) dv.setUint8(i, v);
    else if (n === 2) dv.setUint16(i * 2, v, !pf.bigEndian);
    else dv.setUint32(i * 4, v, !pf.bigEndian);
  });
  return out;
}

describe('pixel formats', () => {
  it('encode and decode as the 16-byte wire form', () => {
    fc.assert(
      fc.property(validFormat, (pf) => {
        const b = encodePixelFormat(pf);
        expect(b.length).toBe(16);
        expect(decodePixelFormat(b)).toEqual(pf);
        expect(samePixelFormat(decodePixelFormat(b), pf)).toBe(true);
      }),
    );
  });

  it('every generated format is accepted', () => {
    fc.assert(
      fc.property(validFormat, (pf) => {
        expect(pixelFormatProblem(pf)).toBeNull();
      }),
    );
  });

  it('convert ARGB exactly like the reference, in every format', () => {
    fc.assert(
      fc.property(validFormat, fc.array(argbWord, { minLength: 1, maxLength: 64 }), (pf, words) => {
        const argb = Uint32Array.from(words);
        const conv = new PixelConverter(pf);
        const want = referenceBytes(pf, argb);
        expect(conv.pack(conv.values(argb))).toEqual(want);
        // One pixel at a time, at an offset.
        const one = Buffer.alloc(conv.bytesPerPixel + 3);
        conv.write(one, 3, conv.value(argb[0]!));
        expect(one.subarray(3)).toEqual(want.subarray(0, conv.bytesPerPixel));
      }),
      { numRuns: 500 },
    );
  });

  it('the server format is the ARGB word without alpha, little-endian', () => {
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const argb = Uint32Array.of(0xff102030, 0x80abcdef);
    expect(Array.from(conv.values(argb))).toEqual([0x102030, 0xabcdef]);
    expect(conv.pack(conv.values(argb))).toEqual(Buffer.from([0x30, 0x20, 0x10, 0, 0xef, 0xcd, 0xab, 0]));
  });

  it('full-scale and zero channels map to max and zero', () => {
    fc.assert(
      fc.property(validFormat, (pf) => {
        const conv = new PixelConverter(pf);
        expect(conv.value(0xffffffff)).toBe(((pf.redMax << pf.redShift) | (pf.greenMax << pf.greenShift) | (pf.blueMax << pf.blueShift)) >>> 0);
        expect(conv.value(0xff000000)).toBe(0);
      }),
    );
  });

  it('refuses to build a converter for an unusable format', () => {
    expect(() => new PixelConverter({ ...SERVER_PIXEL_FORMAT, trueColour: false })).toThrow(/colour-map/);
  });
});
