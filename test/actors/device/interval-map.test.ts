// The B+tree interval map: boundaries, then random operation sequences run against the
// linear-list reference with every result compared and the tree's invariants checked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { INTERVAL_LIMIT, IntervalMap, type IntervalEntry, type IntervalMapLike } from '../../../actors/device/interval-map.js';
import { ListIntervalMap } from '../../../actors/device/list-interval-map.js';

const MAX = Number.MAX_SAFE_INTEGER;
const plain = <V>(e: IntervalEntry<V> | undefined) => (e === undefined ? undefined : { start: e.start, end: e.end, value: e.value });
const all = <V>(it: Iterable<IntervalEntry<V>>) => [...it].map(plain);

describe('IntervalMap boundaries', () => {
  for (const [name, make] of [
    ['tree', () => new IntervalMap<string>({ leafCapacity: 4, innerCapacity: 4 })],
    ['list', () => new ListIntervalMap<string>()],
  ] as const) {
    describe(name, () => {
      it('allows adjacent intervals and refuses overlap, zero length and bad bounds', () => {
        const m: IntervalMapLike<string> = make();
        expect(m.insert(10, 20, 'a')).toBe('ok');
        expect(m.insert(20, 30, 'b')).toBe('ok'); // adjacent after
        expect(m.insert(0, 10, 'c')).toBe('ok'); // adjacent before
        expect(m.insert(19, 21, 'x')).toBe('overlap');
        expect(m.insert(5, 25, 'x')).toBe('overlap');
        expect(m.insert(10, 20, 'x')).toBe('overlap'); // identical
        expect(m.insert(12, 13, 'x')).toBe('overlap'); // inside
        expect(m.insert(0, 40, 'x')).toBe('overlap'); // covering
        expect(m.insert(40, 40, 'x')).toBe('invalid'); // zero length
        expect(m.insert(41, 40, 'x')).toBe('invalid');
        expect(m.insert(-1, 1, 'x')).toBe('invalid');
        expect(m.insert(1.5, 4, 'x')).toBe('invalid');
        expect(m.insert(Number.NaN, 4, 'x')).toBe('invalid');
        expect(m.insert(50, Infinity, 'x')).toBe('invalid');
        expect(m.insert(50, INTERVAL_LIMIT + 2, 'x')).toBe('invalid');
        expect(m.insert(MAX, INTERVAL_LIMIT, 'top')).toBe('ok'); // [2^53-1, 2^53)
        expect(m.size).toBe(4);
        expect(all(m.entries()).map((e) => e!.value)).toEqual(['c', 'a', 'b', 'top']);
      });

      it('finds the containing interval at its first and last point only', () => {
        const m: IntervalMapLike<string> = make();
        m.insert(10, 20, 'a');
        m.insert(20, 30, 'b');
        expect(m.findContaining(9)).toBeUndefined();
        expect(m.findContaining(10)?.value).toBe('a');
        expect(m.findContaining(19)?.value).toBe('a');
        expect(m.findContaining(19.5)?.value).toBe('a');
        expect(m.findContaining(20)?.value).toBe('b');
        expect(m.findContaining(30)).toBeUndefined();
        expect(m.findContaining(Number.NaN)).toBeUndefined();
        expect(m.overlapsAny(0, 10)).toBe(false);
        expect(m.overlapsAny(30, 40)).toBe(false);
        expect(m.overlapsAny(29, 40)).toBe(true);
        expect(m.overlapsAny(15, 15)).toBe(false); // empty query
        expect(m.overlapsAny(25, 15)).toBe(false); // reversed query
        expect(all(m.intersecting(19, 21)).map((e) => e!.value)).toEqual(['a', 'b']);
        expect(all(m.intersecting(20, 20))).toEqual([]);
      });

      it('removes exactly, by start, and by intersection', () => {
        const m: IntervalMapLike<string> = make();
        for (let i = 0; i < 10; i++) m.insert(i * 10, i * 10 + 5, `v${i}`);
        expect(m.remove(10, 16)).toBeUndefined(); // wrong end: nothing happens
        expect(m.size).toBe(10);
        expect(m.remove(10, 15)?.value).toBe('v1');
        expect(m.removeAt(20)?.value).toBe('v2');
        expect(m.removeAt(21)).toBeUndefined();
        expect(m.get(30)?.value).toBe('v3');
        expect(m.get(31)).toBeUndefined();
        expect(m.removeIntersecting(34, 61).map((e) => e.value)).toEqual(['v3', 'v4', 'v5', 'v6']);
        expect(all(m.entries()).map((e) => e!.value)).toEqual(['v0', 'v7', 'v8', 'v9']);
        m.clear();
        expect(m.size).toBe(0);
        expect(m.findContaining(0)).toBeUndefined();
      });
    });
  }

  it('rejects bad capacities', () => {
    expect(() => new IntervalMap({ leafCapacity: 3 })).toThrow(RangeError);
    expect(() => new IntervalMap({ innerCapacity: 2.5 })).toThrow(RangeError);
  });

  it('stays balanced and shallow under ascending, descending and bulk removal', () => {
    for (const order of ['up', 'down'] as const) {
      const m = new IntervalMap<number>({ leafCapacity: 4, innerCapacity: 4 });
      const n = 3000;
      for (let k = 0; k < n; k++) {
        const i = order === 'up' ? k : n - 1 - k;
        expect(m.insert(i * 2, i * 2 + 1, i)).toBe('ok');
      }
      m.checkInvariants();
      // Fill >= 2 per leaf and >= 2 children per inner node: height <= log2(n) + 1.
      expect(m.height).toBeLessThanOrEqual(Math.floor(Math.log2(n)) + 1);
      expect(m.removeIntersecting(1001, 4001).length).toBe(1500);
      m.checkInvariants();
      expect(m.size).toBe(1500);
      expect(m.findContaining(1000)?.value).toBe(500);
      expect(m.findContaining(4002)?.value).toBe(2001);
      expect(m.removeIntersecting(0, INTERVAL_LIMIT).length).toBe(1500);
      m.checkInvariants();
      expect(m.height).toBe(1);
    }
  });

  it('default capacities keep 10^5 intervals 4-5 levels deep', () => {
    const sequential = new IntervalMap<number>();
    const shuffled = new IntervalMap<number>();
    let s = 7;
    for (let i = 0; i < 100_000; i++) {
      sequential.insert(i * 4096, i * 4096 + 4096, i);
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const k = (s % 2 ** 24) * 4096;
      shuffled.insert(k, k + 4096, i);
    }
    expect(sequential.height).toBeLessThanOrEqual(5); // ascending keys leave leaves half full
    expect(shuffled.size).toBeGreaterThan(99_000);
    expect(shuffled.height).toBeLessThanOrEqual(4);
    sequential.checkInvariants();
    shuffled.checkInvariants();
  });
});

// ---- model-based property tests ----

type Op =
  | { op: 'insert'; start: number; end: number }
  | { op: 'remove'; start: number; end: number }
  | { op: 'removeAt'; start: number }
  | { op: 'removeIntersecting'; start: number; end: number }
  | { op: 'get'; start: number }
  | { op: 'findContaining'; point: number }
  | { op: 'overlapsAny'; start: number; end: number }
  | { op: 'intersecting'; start: number; end: number };

function ops(domain: number): fc.Arbitrary<Op[]> {
  const hostile = fc.constantFrom(-1, -0, 1.5, Number.NaN, Infinity, -Infinity, MAX, INTERVAL_LIMIT, INTERVAL_LIMIT + 2);
  const point = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: domain }) }, { weight: 1, arbitrary: hostile });
  const len = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: domain }) });
  const span = fc.tuple(point, len).map(([start, l]) => ({ start, end: start + l }));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: span.map((s) => ({ op: 'insert' as const, ...s })) },
    { weight: 2, arbitrary: span.map((s) => ({ op: 'remove' as const, ...s })) },
    { weight: 3, arbitrary: point.map((start) => ({ op: 'removeAt' as const, start })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(point, fc.integer({ min: 1, max: Math.ceil(domain / 4) }))
        .map(([start, l]) => ({ op: 'removeIntersecting' as const, start, end: start + l })),
    },
    { weight: 2, arbitrary: point.map((start) => ({ op: 'get' as const, start })) },
    { weight: 3, arbitrary: point.map((point) => ({ op: 'findContaining' as const, point })) },
    { weight: 3, arbitrary: span.map((s) => ({ op: 'overlapsAny' as const, ...s })) },
    { weight: 2, arbitrary: span.map((s) => ({ op: 'intersecting' as const, start: s.start, end: s.end + 5 })) },
  );
  return fc.array(op, { maxLength: 400, size: 'max' });
}

function apply(m: IntervalMapLike<number>, o: Op, value: number): unknown {
  switch (o.op) {
    case 'insert':
      return m.insert(o.start, o.end, value);
    case 'remove':
      return plain(m.remove(o.start, o.end));
    case 'removeAt':
      return plain(m.removeAt(o.start));
    case 'removeIntersecting':
      return m.removeIntersecting(o.start, o.end).map(plain);
    case 'get':
      return plain(m.get(o.start));
    case 'findContaining':
      return plain(m.findContaining(o.point));
    case 'overlapsAny':
      return m.overlapsAny(o.start, o.end);
    case 'intersecting':
      return all(m.intersecting(o.start, o.end));
  }
}

describe('IntervalMap against the list reference', () => {
  for (const [cap, domain] of [
    [4, 300],
    [5, 120],
    [32, 2000],
  ] as const) {
    it(`agrees on every result (capacity ${cap}, keys below ${domain})`, () => {
      fc.assert(
        fc.property(ops(domain), (seq) => {
          const tree = new IntervalMap<number>({ leafCapacity: cap, innerCapacity: cap });
          const list = new ListIntervalMap<number>();
          seq.forEach((o, i) => {
            expect(apply(tree, o, i), `op ${i} ${JSON.stringify(o)}`).toEqual(apply(list, o, i));
            expect(tree.size).toBe(list.size);
            if (o.op === 'insert' || o.op.startsWith('remove')) tree.checkInvariants();
          });
          expect(all(tree.entries())).toEqual(all(list.entries()));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('agrees after thousands of random inserts and removals', () => {
    let s = 0x2545f491;
    const rnd = (n: number): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) % n;
    };
    const tree = new IntervalMap<number>({ leafCapacity: 6, innerCapacity: 4 });
    const list = new ListIntervalMap<number>();
    for (let i = 0; i < 6000; i++) {
      const a = rnd(20000);
      const o: Op = rnd(3) === 0 ? { op: 'removeAt', start: a - (a % 4) } : { op: 'insert', start: a, end: a + 1 + rnd(7) };
      expect(apply(tree, o, i)).toEqual(apply(list, o, i));
    }
    tree.checkInvariants();
    expect(all(tree.entries())).toEqual(all(list.entries()));
    for (let p = 0; p < 20000; p += 37) expect(plain(tree.findContaining(p))).toEqual(plain(list.findContaining(p)));
  });
});
