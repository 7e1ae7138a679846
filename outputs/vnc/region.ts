// Rectangle arithmetic and the per-client damage region: a short list of rectangles whose union
// covers every damaged pixel. Nearby rectangles merge when their bounding box wastes little, and
// the list never grows past a cap (the cheapest pair merges), so a client that does not ask for
// updates for a long time costs a few rectangles, not one per damage call. Rectangles may overlap:
// sending a pixel twice is correct (it is the current content) and only costs bytes.
import type { Rect } from './types.js';

export function area(r: Rect): number {
  return r.width * r.height;
}

export function isEmpty(r: Rect): boolean {
  return r.width <= 0 || r.height <= 0;
}

export function intersect(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const r = Math.min(a.x + a.width, b.x + b.width);
  const bt = Math.min(a.y + a.height, b.y + b.height);
  return r > x && bt > y ? { x, y, width: r - x, height: bt - y } : null;
}

export function bounds(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

export function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

/** The part of `r` inside a width x height framebuffer; null when nothing is. Accepts any numbers. */
export function clip(r: Rect, width: number, height: number): Rect | null {
  if (![r.x, r.y, r.width, r.height].every(Number.isFinite)) return null;
  const x = Math.trunc(r.x);
  const y = Math.trunc(r.y);
  return intersect({ x, y, width: Math.trunc(r.width), height: Math.trunc(r.height) }, { x: 0, y: 0, width, height });
}

/** `a` minus `b` as at most four disjoint rectangles (bands above, below, left, right). */
export function subtract(a: Rect, b: Rect): Rect[] {
  const i = intersect(a, b);
  if (!i) return [{ ...a }];
  const out: Rect[] = [];
  const aBottom = a.y + a.height;
  const iBottom = i.y + i.height;
  if (i.y > a.y) out.push({ x: a.x, y: a.y, width: a.width, height: i.y - a.y });
  if (iBottom < aBottom) out.push({ x: a.x, y: iBottom, width: a.width, height: aBottom - iBottom });
  if (i.x > a.x) out.push({ x: a.x, y: i.y, width: i.x - a.x, height: i.height });
  const iRight = i.x + i.width;
  const aRight = a.x + a.width;
  if (iRight < aRight) out.push({ x: iRight, y: i.y, width: aRight - iRight, height: i.height });
  return out;
}

/** Pixels a merge of a and b would send that neither covers (an upper bound when they overlap). */
function waste(a: Rect, b: Rect): number {
  const i = intersect(a, b);
  return area(bounds(a, b)) - area(a) - area(b) + (i ? area(i) : 0);
}

export class DamageRegion {
  private list: Rect[] = [];

  constructor(
    private readonly maxRects = 16,
    /** Merge two rectangles when the bounding box adds at most this many uncovered pixels. */
    private readonly mergeSlack = 4096,
  ) {
    if (!Number.isInteger(maxRects) || maxRects < 1) throw new RangeError('maxRects must be a positive integer');
  }

  get count(): number {
    return this.list.length;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  rects(): readonly Rect[] {
    return this.list;
  }

  clear(): void {
    this.list = [];
  }

  /** Adds an already-clipped, non-empty rectangle. */
  add(r: Rect): void {
    if (isEmpty(r)) return;
    let cur: Rect = { ...r };
    // Absorb every rectangle the new one swallows or sits cheaply next to; repeat, since a merge
    // grows `cur` and may make it cheap to merge with one it skipped.
    for (let merged = true; merged;) {
      merged = false;
      for (let i = 0; i < this.list.length; i++) {
        const o = this.list[i]!;
        if (contains(o, cur)) return;
        if (contains(cur, o) || waste(o, cur) <= this.mergeSlack) {
          cur = bounds(o, cur);
          this.list.splice(i, 1);
          i--;
          merged = true;
        }
      }
    }
    this.list.push(cur);
    while (this.list.length > this.maxRects) this.mergeCheapestPair();
  }

  /** Removes and returns the damage inside `within`; what lies outside stays. */
  takeWithin(within: Rect): Rect[] {
    const taken: Rect[] = [];
    const rest: Rect[] = [];
    for (const r of this.list) {
      const i = intersect(r, within);
      if (!i) {
        rest.push(r);
        continue;
      }
      taken.push(i);
      rest.push(...subtract(r, within));
    }
    this.list = [];
    for (const r of rest) this.add(r);
    return taken;
  }

  intersects(r: Rect): boolean {
    return this.list.some((o) => intersect(o, r) !== null);
  }

  private mergeCheapestPair(): void {
    let best = Infinity;
    let bi = 0;
    let bj = 1;
    for (let i = 0; i < this.list.length; i++) {
      for (let j = i + 1; j < this.list.length; j++) {
        const w = waste(this.list[i]!, this.list[j]!);
        if (w < best) {
          best = w;
          bi = i;
          bj = j;
        }
      }
    }
    const merged = bounds(this.list[bi]!, this.list[bj]!);
    this.list.splice(bj, 1);
    this.list.splice(bi, 1);
    // Re-add through add(): the bigger rectangle may now swallow others.
    this.add(merged);
  }
}
