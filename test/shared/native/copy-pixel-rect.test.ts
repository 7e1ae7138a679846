// native.copyPixelRect, the compositor's damage copy (native/src/core/pixel_rect.h): the same
// pixels as a JavaScript row-by-row copy for any rectangle inside the frame, nothing copied for
// one outside it, and clear errors for arguments of the wrong kind.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { native } from '../../../shared/native/addon.js';

function sharedFrame(stride: number, rows: number, base: number): Uint32Array {
  const a = new Uint32Array(new SharedArrayBuffer(stride * rows * 4));
  for (let i = 0; i < a.length; i++) a[i] = (base + i) >>> 0;
  return a;
}

function copyInJs(src: Uint32Array, dst: Uint32Array, stride: number, r: { x: number; y: number; width: number; height: number }): void {
  for (let row = r.y; row < r.y + r.height; row++) {
    for (let col = r.x; col < r.x + r.width; col++) dst[row * stride + col] = src[row * stride + col]!;
  }
}

const frameAndRect = fc
  .record({ stride: fc.integer({ min: 1, max: 48 }), rows: fc.integer({ min: 1, max: 32 }) })
  .chain(({ stride, rows }) =>
    fc.record({
      stride: fc.constant(stride),
      rows: fc.constant(rows),
      x: fc.integer({ min: 0, max: stride }),
      y: fc.integer({ min: 0, max: rows }),
      width: fc.integer({ min: 0, max: stride }),
      height: fc.integer({ min: 0, max: rows }),
    }),
  );

describe('native.copyPixelRect', () => {
  it('copies exactly what a row-by-row copy copies, or refuses a rectangle outside the frame and copies nothing', () => {
    fc.assert(
      fc.property(frameAndRect, ({ stride, rows, x, y, width, height }) => {
        const src = sharedFrame(stride, rows, 0x10000);
        const dst = sharedFrame(stride, rows, 0);
        const expected = dst.slice();
        const inside = x + width <= stride && (width === 0 || height === 0 || y + height <= rows);
        if (inside) copyInJs(src, expected, stride, { x, y, width, height });
        expect(native.copyPixelRect(src, dst, stride, x, y, width, height)).toBe(inside);
        expect(Array.from(dst)).toEqual(Array.from(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('copies between frames of different lengths as long as the rectangle fits both', () => {
    const src = sharedFrame(8, 4, 100);
    const dst = sharedFrame(8, 8, 0);
    expect(native.copyPixelRect(src, dst, 8, 0, 2, 8, 2)).toBe(true);
    expect(Array.from(dst.subarray(16, 32))).toEqual(Array.from(src.subarray(16, 32)));
    expect(native.copyPixelRect(src, dst, 8, 0, 3, 8, 2)).toBe(false); // past src's last row
  });

  it('refuses arguments of the wrong kind with a TypeError or RangeError', () => {
    const a = sharedFrame(4, 4, 0);
    const b = sharedFrame(4, 4, 0);
    const call = (...args: unknown[]) => () => (native.copyPixelRect as (...x: unknown[]) => boolean)(...args);
    expect(call(new Int32Array(a.buffer), b, 4, 0, 0, 1, 1)).toThrow(TypeError);
    expect(call(a, [1, 2, 3], 4, 0, 0, 1, 1)).toThrow(TypeError);
    expect(call(a, b, '4', 0, 0, 1, 1)).toThrow(TypeError);
    expect(call(a, b, 0, 0, 0, 1, 1)).toThrow(RangeError); // stride 0
    expect(call(a, b, 4, -1, 0, 1, 1)).toThrow(RangeError);
    expect(call(a, b, 4, 0, 0.5, 1, 1)).toThrow(RangeError);
    expect(call(a, b, 4, 0, 0, 1, 2 ** 32)).toThrow(RangeError);
    expect(call(a, b, 4, 0, 0, Number.NaN, 1)).toThrow(RangeError);
    expect(Array.from(b)).toEqual(Array.from(sharedFrame(4, 4, 0)));
  });
});
