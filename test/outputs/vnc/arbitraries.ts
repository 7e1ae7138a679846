// fast-check generators the VNC tests share.
import fc from 'fast-check';

import type { PixelFormat } from '../../../outputs/vnc/pixel-format.js';

/** Valid true-colour formats: bpp 8/16/32, channel widths and places that fit without overlap. */
export const validFormat: fc.Arbitrary<PixelFormat> = fc
  .record({
    bpp: fc.constantFrom(8, 16, 32),
    bits: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
    order: fc.constantFrom([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]),
    gaps: fc.tuple(fc.nat(8), fc.nat(8), fc.nat(8)),
    bigEndian: fc.boolean(),
  })
  .filter(({ bpp, bits, gaps }) => bits[0] + bits[1] + bits[2] + gaps[0] + gaps[1] + gaps[2] <= bpp)
  .map(({ bpp, bits, order, gaps, bigEndian }) => {
    const shifts = [0, 0, 0];
    let at = 0;
    order.forEach((ch, i) => {
      at += gaps[i]!;
      shifts[ch] = at;
      at += bits[ch];
    });
    return {
      bitsPerPixel: bpp,
      depth: Math.min(bpp, bits[0] + bits[1] + bits[2]),
      bigEndian,
      trueColour: true,
      redMax: (1 << bits[0]) - 1,
      greenMax: (1 << bits[1]) - 1,
      blueMax: (1 << bits[2]) - 1,
      redShift: shifts[0]!,
      greenShift: shifts[1]!,
      blueShift: shifts[2]!,
    };
  });

/** An ARGB word. */
export const argbWord = fc.nat({ max: 0xffffffff });

/** A small image: width, height and ARGB pixels drawn from a palette of `colours` (so runs and palettes occur). */
export function image(maxSide = 150): fc.Arbitrary<{ width: number; height: number; argb: Uint32Array }> {
  return fc
    .record({
      width: fc.integer({ min: 1, max: maxSide }),
      height: fc.integer({ min: 1, max: maxSide }),
      palette: fc.array(argbWord, { minLength: 1, maxLength: 300 }),
      seed: fc.nat(),
      runny: fc.boolean(),
    })
    .map(({ width, height, palette, seed, runny }) => {
      const argb = new Uint32Array(width * height);
      let s = seed >>> 0;
      let cur = palette[0]!;
      for (let i = 0; i < argb.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        // Runny images change colour rarely (long runs); the others change often.
        if (!runny || s % 17 === 0) cur = palette[(s >>> 8) % palette.length]!;
        argb[i] = cur;
      }
      return { width, height, argb };
    });
}
