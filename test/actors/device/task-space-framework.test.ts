// TaskSpace under 'framework' map semantics (the host contract upstream QEMU gives the framework):
// a map overwrites what it overlaps, an unmap clears its range and always succeeds, and what a
// partial cut leaves stays mapped. Checked against a page-by-page reference model over random
// call sequences, then by hand at the edges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type Mapping, TaskSpace } from '../../../actors/device/task-space.js';
import { GUEST_PAGE_SIZE, createGuestMemory } from '../../../shared/guest-memory/index.js';

const P = GUEST_PAGE_SIZE;
const WINDOW_PAGES = 32;
const RAM_PAGES = 64;

function setup(limits = {}): { ts: TaskSpace; task: number; base: number } {
  const memory = createGuestMemory({ regions: [{ name: 'ram', base: 0, size: RAM_PAGES * P }] });
  const ts = new TaskSpace(memory, limits, 'framework');
  const r = ts.createTask(WINDOW_PAGES * P);
  if (!r.ok) throw new Error(r.error.message);
  return { ts, task: r.task, base: r.base };
}

type Page = { gpaPage: number; readOnly: boolean } | null;
type Op =
  | { op: 'map'; vo: number; readOnly: boolean; ranges: { gpaPage: number; pages: number }[] }
  | { op: 'unmap'; vo: number; pages: number }
  | { op: 'translate'; page: number; offset: number; write: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('map' as const),
    vo: fc.integer({ min: 0, max: WINDOW_PAGES - 1 }),
    readOnly: fc.boolean(),
    ranges: fc.array(fc.record({ gpaPage: fc.integer({ min: 0, max: RAM_PAGES - 4 }), pages: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ op: fc.constant('unmap' as const), vo: fc.integer({ min: 0, max: WINDOW_PAGES - 1 }), pages: fc.integer({ min: 1, max: 10 }) }),
  fc.record({
    op: fc.constant('translate' as const),
    page: fc.integer({ min: 0, max: WINDOW_PAGES - 1 }),
    offset: fc.integer({ min: 0, max: P - 8 }),
    write: fc.boolean(),
  }),
);

/** The reference: one entry per page of the window. */
function apply(model: Page[], o: Op): string {
  if (o.op === 'map') {
    const total = o.ranges.reduce((n, r) => n + r.pages, 0);
    if (o.vo + total > WINDOW_PAGES) return 'outside-window';
    let at = o.vo;
    for (const r of o.ranges) for (let i = 0; i < r.pages; i++) model[at++] = { gpaPage: r.gpaPage + i, readOnly: o.readOnly };
    return 'ok';
  }
  if (o.op === 'unmap') {
    if (o.vo + o.pages > WINDOW_PAGES) return 'outside-window';
    for (let i = 0; i < o.pages; i++) model[o.vo + i] = null;
    return 'ok';
  }
  const page = model[o.page];
  if (!page) return 'not-mapped';
  if (o.write && page.readOnly) return 'read-only-mapping';
  return `ok@${page.gpaPage * P + o.offset}`;
}

function run(ts: TaskSpace, task: number, base: number, o: Op): string {
  if (o.op === 'map') {
    const r = ts.mapMemory(
      task,
      o.vo * P,
      o.readOnly,
      o.ranges.map((x) => ({ gpa: x.gpaPage * P, length: x.pages * P })),
    );
    return r.ok ? 'ok' : r.error.code;
  }
  if (o.op === 'unmap') {
    const r = ts.unmapMemory(task, o.vo * P, o.pages * P);
    return r.ok ? 'ok' : r.error.code;
  }
  const r = ts.translate(task, base + o.page * P + o.offset, 8, o.write ? 'write' : 'read');
  return r.ok ? `ok@${r.offset}` : r.error.code;
}

/** Every mapping lies in the window, none overlap, and each page says what the model says. */
function agree(ts: TaskSpace, task: number, base: number, model: Page[]): void {
  const seen: (Mapping | null)[] = new Array<Mapping | null>(WINDOW_PAGES).fill(null);
  let bytes = 0;
  for (const m of ts.mappingsOf(task)) {
    expect(m.length % P).toBe(0);
    bytes += m.length;
    for (let p = (m.va - base) / P; p < (m.va - base + m.length) / P; p++) {
      expect(seen[p], `page ${p} in two mappings`).toBeNull();
      seen[p] = m;
      const want = model[p];
      expect(want, `page ${p} mapped but the model has it empty`).not.toBeNull();
      expect({ gpaPage: (m.gpa + (base + p * P - m.va)) / P, readOnly: m.readOnly }).toEqual(want);
    }
  }
  expect(seen.map((m) => m !== null)).toEqual(model.map((p) => p !== null));
  expect(ts.stats().bytesMapped).toBe(bytes);
  expect(ts.taskInfo(task)!.bytesMapped).toBe(bytes);
  expect(ts.stats().mappings).toBe([...ts.mappingsOf(task)].length);
}

describe('TaskSpace, framework semantics, against a page-by-page reference', () => {
  it('gives the same outcome as the reference for every call of random sequences, and the same pages after each', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const { ts, task, base } = setup();
        const model: Page[] = new Array<Page>(WINDOW_PAGES).fill(null);
        for (const o of ops) {
          expect(run(ts, task, base, o), JSON.stringify(o)).toBe(apply(model, o));
          agree(ts, task, base, model);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('TaskSpace, framework semantics, at the edges', () => {
  it('a map over the middle of a mapping splits it; the new one wins inside', () => {
    const { ts, task, base } = setup();
    expect(ts.mapMemory(task, 0, false, [{ gpa: 0, length: 8 * P }]).ok).toBe(true);
    expect(ts.mapMemory(task, 2 * P, true, [{ gpa: 40 * P, length: 2 * P }]).ok).toBe(true);
    expect([...ts.mappingsOf(task)].map((m) => [(m.va - base) / P, m.length / P, m.gpa / P, m.readOnly])).toEqual([
      [0, 2, 0, false],
      [2, 2, 40, true],
      [4, 4, 4, false],
    ]);
    expect(ts.stats().bytesMapped).toBe(8 * P);
  });

  it('an unmap of nothing succeeds and removes nothing; one through a mapping returns the part removed', () => {
    const { ts, task } = setup();
    const empty = ts.unmapMemory(task, 0, 4 * P);
    expect(empty).toMatchObject({ ok: true, bytes: 0, mappings: [] });
    ts.mapMemory(task, 0, false, [{ gpa: 10 * P, length: 6 * P }]);
    const r = ts.unmapMemory(task, 4 * P, 4 * P);
    expect(r.ok && r.mappings.map((m) => [m.length / P, m.gpa / P])).toEqual([[2, 14]]);
    expect(r.ok && r.bytes).toBe(2 * P);
    expect(ts.stats().errors['nothing-mapped'] + ts.stats().errors['cuts-mapping'] + ts.stats().errors.overlap).toBe(0);
  });

  it('keeps the mapping limits when a cut would split a mapping in two, changing nothing', () => {
    const { ts, task, base } = setup({ maxMappingsPerTask: 2 });
    ts.mapMemory(task, 0, false, [{ gpa: 0, length: 8 * P }]);
    ts.mapMemory(task, 8 * P, false, [{ gpa: 0, length: 1 * P }]);
    const before = [...ts.mappingsOf(task)];
    expect(ts.unmapMemory(task, 2 * P, 2 * P)).toMatchObject({ ok: false, error: { code: 'too-many-mappings' } });
    expect(ts.mapMemory(task, 2 * P, false, [{ gpa: 20 * P, length: P }])).toMatchObject({ ok: false, error: { code: 'too-many-mappings' } });
    expect([...ts.mappingsOf(task)]).toEqual(before);
    expect(ts.translate(task, base + 2 * P, 4, 'read')).toMatchObject({ ok: true, offset: 2 * P });
  });

  it('refuses what it refuses under strict semantics that is not about overlap (bad ranges, outside the window)', () => {
    const { ts, task } = setup();
    expect(ts.mapMemory(task, 30 * P, false, [{ gpa: 0, length: 4 * P }])).toMatchObject({ ok: false, error: { code: 'outside-window' } });
    expect(ts.unmapMemory(task, 3, P)).toMatchObject({ ok: false, error: { code: 'bad-range' } });
    expect(ts.mapMemory(task, 0, false, [{ gpa: RAM_PAGES * P, length: P }])).toMatchObject({ ok: false, error: { code: 'not-in-ram' } });
  });

  it('is refused as a construction option it does not know', () => {
    const memory = createGuestMemory({ regions: [{ name: 'ram', base: 0, size: P }] });
    expect(() => new TaskSpace(memory, {}, 'loose' as 'strict')).toThrow(/strict or framework/);
  });
});
