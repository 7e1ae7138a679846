// Damage coalescing: whatever is added stays covered, the list stays short and inside the
// framebuffer, and taking the damage inside a requested area leaves the rest covered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { area, clip, DamageRegion, intersect, subtract } from '../../../outputs/vnc/region.js';
import type { Rect } from '../../../outputs/vnc/types.js';

const W = 64;
const H = 48;

const rect: fc.Arbitrary<Rect> = fc
  .record({ x: fc.nat(W - 1), y: fc.nat(H - 1), width: fc.integer({ min: 1, max: W }), height: fc.integer({ min: 1, max: H }) })
  .map((r) => clip(r, W, H)!);

function coverage(rects: readonly Rect[]): Uint8Array {
  const m = new Uint8Array(W * H);
  for (const r of rects) for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) m[y * W + x] = 1;
  return m;
}

function covers(outer: readonly Rect[], inner: readonly Rect[]): boolean {
  const o = coverage(outer);
  const i = coverage(inner);
  return i.every((v, k) => !v || o[k] === 1);
}

describe('DamageRegion', () => {
  it('covers everything added, with at most maxRects rectangles inside the framebuffer', () => {
    fc.assert(
      fc.property(fc.array(rect, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), fc.nat(500), (rects, max, slack) => {
        const d = new DamageRegion(max, slack);
        for (const r of rects) d.add(r);
        expect(d.count).toBeLessThanOrEqual(max);
        expect(covers(d.rects(), rects)).toBe(true);
        for (const r of d.rects()) {
          expect(r.width).toBeGreaterThan(0);
          expect(r.height).toBeGreaterThan(0);
          expect(clip(r, W, H)).toEqual(r);
        }
        expect(d.empty).toBe(rects.length === 0);
      }),
      { numRuns: 300 },
    );
  });

  it('merges a stream of small damage into few rectangles, not one per call', () => {
    const d = new DamageRegion(16);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 60; x += 3) d.add({ x, y, width: 2, height: 1 });
    expect(d.count).toBeLessThanOrEqual(16);
    expect(d.count).toBeGreaterThan(0);
  });

  it('drops rectangles already covered, and absorbs those a new one covers', () => {
    const d = new DamageRegion(8, 0);
    d.add({ x: 0, y: 0, width: 10, height: 10 });
    d.add({ x: 2, y: 2, width: 3, height: 3 });
    expect(d.rects()).toEqual([{ x: 0, y: 0, width: 10, height: 10 }]);
    d.add({ x: 30, y: 30, width: 2, height: 2 });
    d.add({ x: 20, y: 20, width: 20, height: 20 });
    expect(d.rects()).toEqual([
      { x: 0, y: 0, width: 10, height: 10 },
      { x: 20, y: 20, width: 20, height: 20 },
    ]);
  });

  it('takeWithin returns the damage inside the area and keeps the rest', () => {
    fc.assert(
      fc.property(fc.array(rect, { minLength: 1, maxLength: 30 }), rect, (rects, within) => {
        const d = new DamageRegion(8);
        for (const r of rects) d.add(r);
        const before = [...d.rects()];
        const taken = d.takeWithin(within);
        for (const t of taken) expect(intersect(t, within)).toEqual(t);
        // Nothing lost: what was taken and what remains still cover everything.
        expect(covers([...taken, ...d.rects()], before)).toBe(true);
        // Everything inside the area that was damaged was taken.
        const inside = before.map((r) => intersect(r, within)).filter((r): r is Rect => r !== null);
        expect(covers(taken, inside)).toBe(true);
        expect(d.count).toBeLessThanOrEqual(8);
      }),
      { numRuns: 300 },
    );
  });

  it('intersects() tells whether any damage touches a rectangle', () => {
    const d = new DamageRegion();
    d.add({ x: 10, y: 10, width: 5, height: 5 });
    expect(d.intersects({ x: 14, y: 14, width: 1, height: 1 })).toBe(true);
    expect(d.intersects({ x: 15, y: 10, width: 5, height: 5 })).toBe(false);
  });
});

describe('rectangle helpers', () => {
  it('subtract gives disjoint pieces of a, outside b, that add up', () => {
    fc.assert(
      fc.property(rect, rect, (a, b) => {
        const pieces = subtract(a, b);
        const i = intersect(a, b);
        expect(pieces.reduce((s, p) => s + area(p), 0) + (i ? area(i) : 0)).toBe(area(a));
        for (const p of pieces) {
          expect(intersect(p, a)).toEqual(p);
          expect(intersect(p, b)).toBeNull();
        }
        for (let k = 0; k < pieces.length; k++) for (let j = k + 1; j < pieces.length; j++) expect(intersect(pieces[k]!, pieces[j]!)).toBeNull();
      }),
    );
  });

  it('clip accepts anything and returns integers inside the framebuffer or null', () => {
    expect(clip({ x: -5, y: -5, width: 10, height: 10 }, W, H)).toEqual({ x: 0, y: 0, width: 5, height: 5 });
    expect(clip({ x: 60, y: 40, width: 100, height: 100 }, W, H)).toEqual({ x: 60, y: 40, width: 4, height: 8 });
    expect(clip({ x: NaN, y: 0, width: 1, height: 1 }, W, H)).toBeNull();
    expect(clip({ x: 0, y: 0, width: Infinity, height: 1 }, W, H)).toBeNull();
    expect(clip({ x: 0, y: 0, width: -1, height: 1 }, W, H)).toBeNull();
    expect(clip({ x: 100, y: 0, width: 1, height: 1 }, W, H)).toBeNull();
    expect(clip({ x: 1.7, y: 2.2, width: 3.9, height: 1 }, W, H)).toEqual({ x: 1, y: 2, width: 3, height: 1 });
    expect(() => new DamageRegion(0)).toThrow(RangeError);
  });
});
