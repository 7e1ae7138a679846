// A map of disjoint half-open integer intervals [start, end) to values, as a B+tree keyed by
// start. Because intervals never overlap, ordering by start also orders the ends, so "which
// interval contains p" is a predecessor search.
//
// Why a B+tree: the keys come from a hostile guest, so the bound must be a worst case (no
// treap whose priorities a guest could learn), and at 10^5 mappings a binary tree of heap
// objects pays a cache miss per level; here a level is one binary search in a Float64Array
// and 10^5 intervals are 4-5 levels deep. Leaves are linked, so iteration is O(log n + k).
// Every non-root node is at least half full; the tree has the same depth everywhere.

/** Ends may reach 2^53 (exact in a double), so [2^53 - 1, 2^53) is a valid interval. */
export const INTERVAL_LIMIT = 2 ** 53;

export interface IntervalEntry<V> {
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

/** 'invalid': not integers with 0 <= start < end <= 2^53 (zero-length is invalid). */
export type InsertResult = 'ok' | 'overlap' | 'invalid';

/**
 * What both implementations offer. Queries take any numbers: an empty or reversed [start, end),
 * or NaN, matches nothing. Iterators are invalidated by any mutation.
 */
export interface IntervalMapLike<V> {
  readonly size: number;
  /** Refuses (no change) an interval that overlaps one already present; adjacent is fine. */
  insert(start: number, end: number, value: V): InsertResult;
  /** The interval starting exactly at start. */
  get(start: number): IntervalEntry<V> | undefined;
  /** Removes the interval that is exactly [start, end); otherwise changes nothing. */
  remove(start: number, end: number): IntervalEntry<V> | undefined;
  /** Removes the interval starting exactly at start. */
  removeAt(start: number): IntervalEntry<V> | undefined;
  /** Removes every interval that intersects [start, end); returns them in order. */
  removeIntersecting(start: number, end: number): IntervalEntry<V>[];
  findContaining(point: number): IntervalEntry<V> | undefined;
  overlapsAny(start: number, end: number): boolean;
  /** Intervals intersecting [start, end), in order. */
  intersecting(start: number, end: number): IterableIterator<IntervalEntry<V>>;
  entries(): IterableIterator<IntervalEntry<V>>;
  clear(): void;
}

export function isValidInterval(start: number, end: number): boolean {
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= INTERVAL_LIMIT;
}

export interface IntervalMapOptions {
  /** Entries per leaf (default 16, at least 4). Tests use small values to force splits and merges. */
  readonly leafCapacity?: number;
  /** Children per inner node (default 32, at least 4). */
  readonly innerCapacity?: number;
}

const NIL = -1;

// Defaults measured: 16/32 made removals at 10^5 intervals cost 1.4x those at 10^3 (32/32: 1.65x).
function checkCapacity(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 4 || v > 4096) throw new RangeError(`${field} must be an integer in [4, 4096] (got ${v})`);
  return v;
}

/** Number of a[base .. base + n) that are <= x (NaN: 0). */
function upperBound(a: Float64Array, base: number, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[base + mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grow<T extends Float64Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

/**
 * Nodes live in slabs (one typed array per field for all nodes, a node being an integer id) so
 * that a descent reads contiguous keys instead of chasing per-node objects. Slabs grow by
 * doubling and keep their peak size until clear().
 */
export class IntervalMap<V> implements IntervalMapLike<V> {
  readonly #lc: number;
  readonly #ic: number;
  readonly #lmin: number;
  readonly #imin: number;
  // Leaves: entries [id * lc, id * lc + count[id]) of starts/ends/items.
  #ls!: Float64Array;
  #le!: Float64Array;
  #li!: (IntervalEntry<V> | undefined)[];
  #ln!: Int32Array;
  #lprev!: Int32Array;
  #lnext!: Int32Array;
  #leafTop = 0;
  #leafFree: number[] = [];
  // Inner nodes: children [id * ic, id * ic + count[id]); for 1 <= i < count, every start under
  // child i is >= key i > every start under child i - 1 (key 0 is unused).
  #ik!: Float64Array;
  #ich!: Int32Array;
  #in!: Int32Array;
  #innerTop = 0;
  #innerFree: number[] = [];
  #root = 0;
  /** Number of inner levels above the leaves. */
  #depth = 0;
  #size = 0;
  // The last descent: path[l] is the inner node at level l, idx[l] the child taken.
  readonly #path: number[] = [];
  readonly #idx: number[] = [];

  constructor(options: IntervalMapOptions = {}) {
    this.#lc = checkCapacity(options.leafCapacity, 16, 'leafCapacity');
    this.#ic = checkCapacity(options.innerCapacity, 32, 'innerCapacity');
    this.#lmin = this.#lc >> 1;
    this.#imin = this.#ic >> 1;
    this.clear();
  }

  get size(): number {
    return this.#size;
  }

  /** Levels from the root to the leaves (1 for a single leaf); for tests and benchmarks. */
  get height(): number {
    return this.#depth + 1;
  }

  insert(start: number, end: number, value: V): InsertResult {
    if (!isValidInterval(start, end)) return 'invalid';
    const leaf = this.#descend(start);
    const lc = this.#lc;
    const n = this.#ln[leaf]!;
    const b = leaf * lc;
    const i = upperBound(this.#ls, b, n, start);
    // The predecessor (start <= new start) must end by `start`; the successor must begin at `end` or later.
    if (i > 0) {
      if (this.#le[b + i - 1]! > start) return 'overlap';
    } else {
      const p = this.#lprev[leaf]!;
      if (p !== NIL && this.#le[p * lc + this.#ln[p]! - 1]! > start) return 'overlap';
    }
    if (i < n) {
      if (this.#ls[b + i]! < end) return 'overlap';
    } else {
      const q = this.#lnext[leaf]!;
      if (q !== NIL && this.#ls[q * lc]! < end) return 'overlap';
    }
    this.#insertInLeaf(leaf, i, { start, end, value });
    this.#size++;
    return 'ok';
  }

  get(start: number): IntervalEntry<V> | undefined {
    const leaf = this.#descend(start);
    const b = leaf * this.#lc;
    const i = upperBound(this.#ls, b, this.#ln[leaf]!, start) - 1;
    return i >= 0 && this.#ls[b + i] === start ? this.#li[b + i] : undefined;
  }

  remove(start: number, end: number): IntervalEntry<V> | undefined {
    const leaf = this.#descend(start);
    const b = leaf * this.#lc;
    const i = upperBound(this.#ls, b, this.#ln[leaf]!, start) - 1;
    if (i < 0 || this.#ls[b + i] !== start || this.#le[b + i] !== end) return undefined;
    const e = this.#li[b + i];
    this.#removeRun(leaf, i, i + 1);
    return e;
  }

  removeAt(start: number): IntervalEntry<V> | undefined {
    const leaf = this.#descend(start);
    const b = leaf * this.#lc;
    const i = upperBound(this.#ls, b, this.#ln[leaf]!, start) - 1;
    if (i < 0 || this.#ls[b + i] !== start) return undefined;
    const e = this.#li[b + i];
    this.#removeRun(leaf, i, i + 1);
    return e;
  }

  removeIntersecting(start: number, end: number): IntervalEntry<V>[] {
    const removed: IntervalEntry<V>[] = [];
    if (!(start < end)) return removed;
    // One leaf's run per round: O(log n) per round, and a round empties a leaf unless the
    // range ends in it, so O(log n + k) in all.
    for (;;) {
      const first = this.#firstEndingAfter(start);
      if (first === undefined || !(first.start < end)) return removed;
      const leaf = this.#descend(first.start);
      const b = leaf * this.#lc;
      const n = this.#ln[leaf]!;
      const i = upperBound(this.#ls, b, n, first.start) - 1;
      let j = i;
      while (j < n && this.#ls[b + j]! < end) removed.push(this.#li[b + j++]!);
      this.#removeRun(leaf, i, j);
      if (j < n) return removed;
    }
  }

  findContaining(point: number): IntervalEntry<V> | undefined {
    const leaf = this.#descend(point);
    const lc = this.#lc;
    const b = leaf * lc;
    const i = upperBound(this.#ls, b, this.#ln[leaf]!, point) - 1;
    if (i >= 0) return point < this.#le[b + i]! ? this.#li[b + i] : undefined;
    const p = this.#lprev[leaf]!;
    if (p === NIL) return undefined;
    const last = p * lc + this.#ln[p]! - 1;
    return point < this.#le[last]! ? this.#li[last] : undefined;
  }

  overlapsAny(start: number, end: number): boolean {
    if (!(start < end)) return false;
    // The last interval starting before `end` has the largest end of all of those.
    const leaf = this.#descend(end);
    const lc = this.#lc;
    const b = leaf * lc;
    let i = upperBound(this.#ls, b, this.#ln[leaf]!, end) - 1;
    if (i >= 0 && this.#ls[b + i] === end) i--;
    if (i >= 0) return this.#le[b + i]! > start;
    const p = this.#lprev[leaf]!;
    return p !== NIL && this.#le[p * lc + this.#ln[p]! - 1]! > start;
  }

  *intersecting(start: number, end: number): IterableIterator<IntervalEntry<V>> {
    if (!(start < end)) return;
    const first = this.#firstEndingAfter(start);
    if (first === undefined) return;
    const lc = this.#lc;
    let leaf = this.#descend(first.start);
    let i = upperBound(this.#ls, leaf * lc, this.#ln[leaf]!, first.start) - 1;
    for (; leaf !== NIL; leaf = this.#lnext[leaf]!, i = 0) {
      for (; i < this.#ln[leaf]!; i++) {
        const e = this.#li[leaf * lc + i]!;
        if (!(e.start < end)) return;
        yield e;
      }
    }
  }

  entries(): IterableIterator<IntervalEntry<V>> {
    return this.intersecting(0, INTERVAL_LIMIT);
  }

  [Symbol.iterator](): IterableIterator<IntervalEntry<V>> {
    return this.entries();
  }

  /** Empties the map and gives its slabs back. */
  clear(): void {
    this.#ls = new Float64Array(this.#lc);
    this.#le = new Float64Array(this.#lc);
    this.#li = new Array<IntervalEntry<V> | undefined>(this.#lc).fill(undefined);
    this.#ln = new Int32Array(1);
    this.#lprev = new Int32Array(1);
    this.#lnext = new Int32Array(1);
    this.#leafTop = 0;
    this.#leafFree = [];
    this.#ik = new Float64Array(this.#ic);
    this.#ich = new Int32Array(this.#ic);
    this.#in = new Int32Array(1);
    this.#innerTop = 0;
    this.#innerFree = [];
    this.#root = this.#newLeaf();
    this.#depth = 0;
    this.#size = 0;
  }

  /** Throws if an internal invariant is broken (order, disjointness, fill, separators, links, size). */
  checkInvariants(): void {
    const lc = this.#lc;
    const ic = this.#ic;
    const leaves: number[] = [];
    const walk = (node: number, level: number, lo: number, hi: number): void => {
      if (level === this.#depth) {
        const n = this.#ln[node]!;
        if (level > 0 && n < this.#lmin) throw new Error(`leaf ${node} under-full (${n})`);
        for (let i = 0; i < n; i++) {
          const s = this.#ls[node * lc + i]!;
          const item = this.#li[node * lc + i]!;
          if (item.start !== s || item.end !== this.#le[node * lc + i]) throw new Error(`leaf ${node} slabs disagree at 0x${s.toString(16)}`);
          if (s < lo || s >= hi) throw new Error(`start 0x${s.toString(16)} outside its separators`);
        }
        for (let i = n; i < lc; i++) if (this.#li[node * lc + i] !== undefined) throw new Error(`leaf ${node} keeps a stale item`);
        leaves.push(node);
        return;
      }
      const n = this.#in[node]!;
      if (n < (level === 0 ? 2 : this.#imin)) throw new Error(`inner ${node} under-full (${n})`);
      for (let i = 0; i < n; i++) {
        const clo = i === 0 ? lo : this.#ik[node * ic + i]!;
        const chi = i + 1 < n ? this.#ik[node * ic + i + 1]! : hi;
        if (!(clo <= chi)) throw new Error(`inner ${node}: separators out of order`);
        walk(this.#ich[node * ic + i]!, level + 1, clo, chi);
      }
    };
    walk(this.#root, 0, -Infinity, Infinity);
    let count = 0;
    let prevEnd = -Infinity;
    for (let k = 0; k < leaves.length; k++) {
      const leaf = leaves[k]!;
      if (this.#lprev[leaf] !== (leaves[k - 1] ?? NIL) || this.#lnext[leaf] !== (leaves[k + 1] ?? NIL)) throw new Error('leaf links broken');
      for (let i = 0; i < this.#ln[leaf]!; i++) {
        const s = this.#ls[leaf * lc + i]!;
        if (!isValidInterval(s, this.#le[leaf * lc + i]!)) throw new Error('invalid interval stored');
        if (s < prevEnd) throw new Error(`interval at 0x${s.toString(16)} overlaps or is out of order`);
        prevEnd = this.#le[leaf * lc + i]!;
        count++;
      }
    }
    if (count !== this.#size) throw new Error(`size ${this.#size} but ${count} entries`);
    if (leaves.length + this.#leafFree.length !== this.#leafTop) throw new Error('leaf slots leaked');
  }

  /** Walks from the root to the leaf whose key range holds x, recording the path. */
  #descend(x: number): number {
    const ik = this.#ik;
    const ich = this.#ich;
    const ic = this.#ic;
    let node = this.#root;
    for (let level = 0; level < this.#depth; level++) {
      const b = node * ic;
      // The last child i >= 1 with key i <= x, else child 0.
      let lo = 1;
      let hi = this.#in[node]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ik[b + mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      this.#path[level] = node;
      this.#idx[level] = lo - 1;
      node = ich[b + lo - 1]!;
    }
    return node;
  }

  /** The first interval whose end is > point. */
  #firstEndingAfter(point: number): IntervalEntry<V> | undefined {
    const leaf = this.#descend(point);
    const lc = this.#lc;
    const b = leaf * lc;
    const n = this.#ln[leaf]!;
    const i = upperBound(this.#ls, b, n, point) - 1;
    if (i >= 0) {
      if (this.#le[b + i]! > point) return this.#li[b + i];
    } else {
      const p = this.#lprev[leaf]!;
      if (p !== NIL && this.#le[p * lc + this.#ln[p]! - 1]! > point) return this.#li[p * lc + this.#ln[p]! - 1];
    }
    if (i + 1 < n) return this.#li[b + i + 1];
    const q = this.#lnext[leaf]!;
    return q !== NIL ? this.#li[q * lc] : undefined;
  }

  #newLeaf(): number {
    const id = this.#leafFree.pop();
    if (id !== undefined) return id;
    if (this.#leafTop === this.#ln.length) {
      const slots = this.#ln.length * 2;
      this.#ls = grow(this.#ls, slots * this.#lc);
      this.#le = grow(this.#le, slots * this.#lc);
      for (let k = this.#li.length; k < slots * this.#lc; k++) this.#li.push(undefined);
      this.#ln = grow(this.#ln, slots);
      this.#lprev = grow(this.#lprev, slots);
      this.#lnext = grow(this.#lnext, slots);
    }
    const leaf = this.#leafTop++;
    this.#ln[leaf] = 0;
    this.#lprev[leaf] = NIL;
    this.#lnext[leaf] = NIL;
    return leaf;
  }

  #freeLeaf(leaf: number): void {
    this.#li.fill(undefined, leaf * this.#lc, (leaf + 1) * this.#lc);
    this.#leafFree.push(leaf);
  }

  #newInner(): number {
    const id = this.#innerFree.pop();
    if (id !== undefined) return id;
    if (this.#innerTop === this.#in.length) {
      const slots = this.#in.length * 2;
      this.#ik = grow(this.#ik, slots * this.#ic);
      this.#ich = grow(this.#ich, slots * this.#ic);
      this.#in = grow(this.#in, slots);
    }
    return this.#innerTop++;
  }

  /** Copies entries [from, to) of leaf src to leaf dst at `at`; overlapping moves are fine. */
  #move(src: number, from: number, to: number, dst: number, at: number): void {
    if (to <= from) return;
    const lc = this.#lc;
    const s = src * lc + from;
    const e = src * lc + to;
    const d = dst * lc + at;
    this.#ls.copyWithin(d, s, e);
    this.#le.copyWithin(d, s, e);
    const li = this.#li;
    if (d < s) for (let k = 0; k < e - s; k++) li[d + k] = li[s + k];
    else for (let k = e - s - 1; k >= 0; k--) li[d + k] = li[s + k];
  }

  #putInLeaf(leaf: number, i: number, e: IntervalEntry<V>): void {
    this.#move(leaf, i, this.#ln[leaf]!, leaf, i + 1);
    const at = leaf * this.#lc + i;
    this.#ls[at] = e.start;
    this.#le[at] = e.end;
    this.#li[at] = e;
    this.#ln[leaf]!++;
  }

  #insertInLeaf(leaf: number, i: number, e: IntervalEntry<V>): void {
    const lc = this.#lc;
    if (this.#ln[leaf]! < lc) {
      this.#putInLeaf(leaf, i, e);
      return;
    }
    const right = this.#newLeaf();
    const h = lc >> 1;
    this.#move(leaf, h, lc, right, 0);
    this.#li.fill(undefined, leaf * lc + h, (leaf + 1) * lc);
    this.#ln[right] = lc - h;
    this.#ln[leaf] = h;
    const next = this.#lnext[leaf]!;
    this.#lnext[right] = next;
    if (next !== NIL) this.#lprev[next] = right;
    this.#lprev[right] = leaf;
    this.#lnext[leaf] = right;
    if (i <= h) this.#putInLeaf(leaf, i, e);
    else this.#putInLeaf(right, i - h, e);
    this.#insertChild(this.#depth - 1, this.#ls[right * lc]!, right);
  }

  #putChild(node: number, pos: number, key: number, child: number): void {
    const b = node * this.#ic;
    const n = this.#in[node]!;
    this.#ich.copyWithin(b + pos + 1, b + pos, b + n);
    this.#ik.copyWithin(b + pos + 1, b + pos, b + n);
    this.#ich[b + pos] = child;
    this.#ik[b + pos] = key;
    this.#in[node] = n + 1;
  }

  #removeChild(node: number, pos: number): void {
    const b = node * this.#ic;
    const n = this.#in[node]!;
    this.#ich.copyWithin(b + pos, b + pos + 1, b + n);
    this.#ik.copyWithin(b + pos, b + pos + 1, b + n);
    this.#in[node] = n - 1;
  }

  /** Puts (key, child) just after the child taken at `level` (a new root when level < 0). */
  #insertChild(level: number, key: number, child: number): void {
    const ic = this.#ic;
    if (level < 0) {
      const root = this.#newInner();
      this.#ich[root * ic] = this.#root;
      this.#ich[root * ic + 1] = child;
      this.#ik[root * ic + 1] = key;
      this.#in[root] = 2;
      this.#root = root;
      this.#depth++;
      return;
    }
    const node = this.#path[level]!;
    const pos = this.#idx[level]! + 1;
    if (this.#in[node]! < ic) {
      this.#putChild(node, pos, key, child);
      return;
    }
    const right = this.#newInner();
    const h = (ic + 1) >> 1;
    const up = this.#ik[node * ic + h]!;
    this.#ich.copyWithin(right * ic, node * ic + h, node * ic + ic);
    this.#ik.copyWithin(right * ic, node * ic + h, node * ic + ic);
    this.#in[right] = ic - h;
    this.#in[node] = h;
    if (pos <= h) this.#putChild(node, pos, key, child);
    else this.#putChild(right, pos - h, key, child);
    this.#insertChild(level - 1, up, right);
  }

  /** Removes entries [i, j) of the leaf reached by the last descent, then rebalances. */
  #removeRun(leaf: number, i: number, j: number): void {
    const n = this.#ln[leaf]!;
    this.#move(leaf, j, n, leaf, i);
    const b = leaf * this.#lc;
    this.#li.fill(undefined, b + n - (j - i), b + n);
    this.#ln[leaf] = n - (j - i);
    this.#size -= j - i;
    this.#fixLeaf(leaf);
  }

  #fixLeaf(leaf: number): void {
    if (this.#depth === 0 || this.#ln[leaf]! >= this.#lmin) return;
    const lc = this.#lc;
    const level = this.#depth - 1;
    const parent = this.#path[level]!;
    const c = this.#idx[level]!;
    const pb = parent * this.#ic;
    const left = c > 0 ? this.#ich[pb + c - 1]! : NIL;
    const right = c + 1 < this.#in[parent]! ? this.#ich[pb + c + 1]! : NIL;
    // A bulk removal can leave the leaf several entries short: even out with a sibling that
    // has enough for both, else merge (the two then fit in one leaf).
    const n = this.#ln[leaf]!;
    if (left !== NIL && this.#ln[left]! + n >= 2 * this.#lmin) {
      const ln = this.#ln[left]!;
      const m = ((ln + n) >> 1) - n;
      this.#move(leaf, 0, n, leaf, m);
      this.#move(left, ln - m, ln, leaf, 0);
      this.#li.fill(undefined, left * lc + ln - m, left * lc + ln);
      this.#ln[left] = ln - m;
      this.#ln[leaf] = n + m;
      this.#ik[pb + c] = this.#ls[leaf * lc]!;
    } else if (right !== NIL && this.#ln[right]! + n >= 2 * this.#lmin) {
      const rn = this.#ln[right]!;
      const m = ((rn + n) >> 1) - n;
      this.#move(right, 0, m, leaf, n);
      this.#move(right, m, rn, right, 0);
      this.#li.fill(undefined, right * lc + rn - m, right * lc + rn);
      this.#ln[right] = rn - m;
      this.#ln[leaf] = n + m;
      this.#ik[pb + c + 1] = this.#ls[right * lc]!;
    } else if (left !== NIL) {
      this.#mergeLeaves(left, leaf);
      this.#removeChild(parent, c);
      this.#fixInner(level);
    } else {
      this.#mergeLeaves(leaf, right);
      this.#removeChild(parent, c + 1);
      this.#fixInner(level);
    }
  }

  /** Appends leaf `right` to leaf `left` and frees `right`. */
  #mergeLeaves(left: number, right: number): void {
    const ln = this.#ln[left]!;
    const rn = this.#ln[right]!;
    this.#move(right, 0, rn, left, ln);
    this.#ln[left] = ln + rn;
    const next = this.#lnext[right]!;
    this.#lnext[left] = next;
    if (next !== NIL) this.#lprev[next] = left;
    this.#freeLeaf(right);
  }

  #fixInner(level: number): void {
    const ic = this.#ic;
    const node = this.#path[level]!;
    if (level === 0) {
      if (this.#in[node] === 1) {
        this.#root = this.#ich[node * ic]!;
        this.#depth--;
        this.#innerFree.push(node);
      }
      return;
    }
    if (this.#in[node]! >= this.#imin) return;
    const parent = this.#path[level - 1]!;
    const c = this.#idx[level - 1]!;
    const pb = parent * ic;
    const nb = node * ic;
    const left = c > 0 ? this.#ich[pb + c - 1]! : NIL;
    const right = c + 1 < this.#in[parent]! ? this.#ich[pb + c + 1]! : NIL;
    if (left !== NIL && this.#in[left]! > this.#imin) {
      const last = left * ic + this.#in[left]! - 1;
      this.#putChild(node, 0, 0, this.#ich[last]!);
      this.#ik[nb + 1] = this.#ik[pb + c]!;
      this.#ik[pb + c] = this.#ik[last]!;
      this.#in[left]!--;
    } else if (right !== NIL && this.#in[right]! > this.#imin) {
      const n = this.#in[node]!;
      this.#ich[nb + n] = this.#ich[right * ic]!;
      this.#ik[nb + n] = this.#ik[pb + c + 1]!;
      this.#in[node] = n + 1;
      this.#ik[pb + c + 1] = this.#ik[right * ic + 1]!;
      this.#removeChild(right, 0);
    } else if (left !== NIL) {
      this.#mergeInner(left, this.#ik[pb + c]!, node);
      this.#removeChild(parent, c);
      this.#fixInner(level - 1);
    } else {
      this.#mergeInner(node, this.#ik[pb + c + 1]!, right);
      this.#removeChild(parent, c + 1);
      this.#fixInner(level - 1);
    }
  }

  /** Appends inner node `right`'s children to `left` (`sep` separates them) and frees `right`. */
  #mergeInner(left: number, sep: number, right: number): void {
    const ic = this.#ic;
    const ln = this.#in[left]!;
    const rn = this.#in[right]!;
    this.#ich.copyWithin(left * ic + ln, right * ic, right * ic + rn);
    this.#ik.copyWithin(left * ic + ln, right * ic, right * ic + rn);
    this.#ik[left * ic + ln] = sep;
    this.#in[left] = ln + rn;
    this.#innerFree.push(right);
  }
}
