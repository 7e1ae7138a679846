// The task space's snapshot codec: a space driven by random calls, saved and loaded into a new
// one, continues exactly as the original (same ids, window bases, outcomes and final state);
// hostile bytes are refused with StateFormatError naming the part, and nothing else is thrown.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeTaskSpaceState, encodeTaskSpaceState, loadTaskSpace, saveTaskSpace } from '../../../actors/device/task-space-snapshot.js';
import { type MapSemantics, TaskSpace } from '../../../actors/device/task-space.js';
import { GUEST_PAGE_SIZE, type GuestMemory, createGuestMemory } from '../../../shared/guest-memory/index.js';
import { StateFormatError } from '../../../shared/snapshot/state-bytes.js';

const P = GUEST_PAGE_SIZE;
const LIMITS = { maxTasks: 8, maxTaskBytes: 64 * P, maxMappingsPerTask: 16 };

function machine(): GuestMemory {
  return createGuestMemory({
    regions: [
      { name: 'ram', base: 0, size: 64 * P },
      { name: 'rom', base: 64 * P, size: 4 * P, readOnly: true },
    ],
  });
}

type Op =
  | { kind: 'create'; pages: number }
  | { kind: 'destroy'; pick: number }
  | { kind: 'map'; pick: number; offset: number; gpa: number; pages: number; readOnly: boolean }
  | { kind: 'unmap'; pick: number; offset: number; pages: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), pages: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('destroy' as const), pick: fc.nat(9) }),
  fc.record({
    kind: fc.constant('map' as const),
    pick: fc.nat(9),
    offset: fc.nat(63),
    gpa: fc.nat(67),
    pages: fc.integer({ min: 1, max: 8 }),
    readOnly: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('unmap' as const), pick: fc.nat(9), offset: fc.nat(63), pages: fc.integer({ min: 1, max: 16 }) }),
);

/** Applies one call; returns what the caller sees (ids, bases, codes) so two spaces can be compared. */
function apply(ts: TaskSpace, o: Op): unknown {
  const ids = ts.taskIds();
  const task = ids.length === 0 ? 999 : ids[('pick' in o ? o.pick : 0) % ids.length]!;
  switch (o.kind) {
    case 'create':
      return ts.createTask(o.pages * P);
    case 'destroy':
      return ts.destroyTask(task).ok;
    case 'map': {
      const r = ts.mapMemory(task, o.offset * P, o.readOnly, [{ gpa: o.gpa * P, length: o.pages * P }]);
      return r.ok ? r.mappings : r.error.code;
    }
    case 'unmap': {
      const r = ts.unmapMemory(task, o.offset * P, o.pages * P);
      return r.ok ? r.mappings : r.error.code;
    }
  }
}

function driven(semantics: MapSemantics, ops: readonly Op[]): { ts: TaskSpace; memory: GuestMemory } {
  const memory = machine();
  const ts = new TaskSpace(memory, LIMITS, semantics);
  for (const o of ops) apply(ts, o);
  return { ts, memory };
}

describe('task space snapshot: round trip', () => {
  for (const semantics of ['strict', 'framework'] as const) {
    it(`${semantics}: a restored space continues exactly as the original (fast-check)`, () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { maxLength: 40 }), (before, after) => {
          const { ts: original, memory } = driven(semantics, before);
          const bytes = saveTaskSpace(original);
          const restored = new TaskSpace(memory, LIMITS, semantics);
          loadTaskSpace(restored, memory, bytes);
          expect(saveTaskSpace(restored)).toEqual(bytes);
          expect(restored.stats().mappings).toBe(original.stats().mappings);
          expect(restored.stats().bytesMapped).toBe(original.stats().bytesMapped);
          for (const o of after) expect(apply(restored, o)).toEqual(apply(original, o));
          expect(restored.saveState()).toEqual(original.saveState());
          for (const id of original.taskIds()) {
            for (const m of original.mappingsOf(id))
              expect(restored.translate(id, m.va, m.length, 'read')).toEqual(original.translate(id, m.va, m.length, 'read'));
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('a cleared space (after a device reset) saves as a new one and restores to hand out the first ids again', () => {
    const { ts, memory } = driven('strict', [
      { kind: 'create', pages: 4 },
      { kind: 'create', pages: 4 },
    ]);
    ts.clear();
    const restored = new TaskSpace(memory, LIMITS);
    loadTaskSpace(restored, memory, saveTaskSpace(ts));
    expect(restored.createTask(P)).toEqual(new TaskSpace(memory, LIMITS).createTask(P));
  });
});

describe('task space snapshot: hostile bytes', () => {
  const { ts, memory } = driven('strict', [
    { kind: 'create', pages: 8 },
    { kind: 'create', pages: 8 },
    { kind: 'create', pages: 4 },
    { kind: 'destroy', pick: 1 },
    { kind: 'map', pick: 0, offset: 0, gpa: 2, pages: 2, readOnly: false },
    { kind: 'map', pick: 0, offset: 4, gpa: 64, pages: 1, readOnly: true },
  ]);
  const good = saveTaskSpace(ts);
  const state = ts.saveState();

  function refusal(bytes: Uint8Array): StateFormatError {
    try {
      decodeTaskSpaceState(bytes, new TaskSpace(memory, LIMITS), memory);
    } catch (e) {
      if (e instanceof StateFormatError) return e;
      throw e;
    }
    throw new Error('accepted');
  }
  const edited = (edit: (s: ReturnType<TaskSpace['saveState']>) => unknown): Uint8Array => {
    const s = structuredClone(state) as { -readonly [K in keyof typeof state]: (typeof state)[K] };
    edit(s);
    return encodeTaskSpaceState(s);
  };

  it('refuses every broken rule, naming the part', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['magic', Uint8Array.from([1, 2, 3, 4, ...good.subarray(4)]), /magic/],
      [
        'version',
        (() => {
          const b = good.slice();
          b[4] = 9;
          return b;
        })(),
        /version 9/,
      ],
      ['next id 0', edited((s) => Object.assign(s, { nextId: 0 })), /next id/],
      ['next slot past the space', edited((s) => Object.assign(s, { nextSlot: 2 ** 40 })), /next slot/],
      ['a free slot also in use', edited((s) => Object.assign(s, { freeSlots: [1] })), /slot 1 twice|tasks and .* free slots/],
      ['a slot never handed out', edited((s) => Object.assign(s, { freeSlots: [7] })), /never handed out/],
      ['ids out of order', edited((s) => Object.assign(s, { tasks: [...s.tasks].reverse() })), /out of order/],
      ['id never handed out', edited((s) => Object.assign(s, { nextId: 2 })), /never handed out/],
      ['vmSize unaligned', edited((s) => Object.assign(s.tasks[0]!, { vmSize: 100 })), /vmSize/],
      ['vmSize over the limit', edited((s) => Object.assign(s.tasks[0]!, { vmSize: 128 * P })), /vmSize/],
      ['mapping past the window', edited((s) => Object.assign(s.tasks[0]!.mappings[1]!, { offset: 8 * P })), /past the window/],
      ['mappings overlapping', edited((s) => Object.assign(s.tasks[0]!.mappings[1]!, { offset: P })), /overlaps/],
      ['writable mapping of the ROM', edited((s) => Object.assign(s.tasks[0]!.mappings[1]!, { readOnly: false })), /guest RAM/],
      ['mapping outside guest memory', edited((s) => Object.assign(s.tasks[0]!.mappings[0]!, { gpa: 100 * P })), /guest RAM/],
      ['mapping unaligned', edited((s) => Object.assign(s.tasks[0]!.mappings[0]!, { gpa: 5 })), /page-aligned/],
      ['trailing byte', Uint8Array.from([...good, 0]), /after the state/],
    ];
    for (const [what, bytes, reason] of cases) {
      const e = refusal(bytes);
      expect(e.part, what).toMatch(/^task space/);
      expect(e.reason, what).toMatch(reason);
    }
    // Too many tasks for the limits, and a huge count with no bytes behind it.
    const many = new TaskSpace(memory, { ...LIMITS, maxTasks: 16 });
    for (let i = 0; i < 12; i++) many.createTask(P);
    expect(refusal(saveTaskSpace(many)).reason).toMatch(/tasks, at most 8/);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(24, 0xfffffff0, true); // the free-slot count
    expect(refusal(huge).reason).toMatch(/at most|truncated/);
  });

  it('every prefix is refused as truncated or inconsistent', () => {
    for (let n = 0; n < good.length; n++) expect(refusal(good.subarray(0, n))).toBeInstanceOf(StateFormatError);
  });

  it('random corruption: refused with StateFormatError, or a state that encodes back to the same bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const bad = good.slice();
        for (const [at, x] of flips) bad[at]! ^= x;
        try {
          const s = decodeTaskSpaceState(bad, new TaskSpace(memory, LIMITS), memory);
          expect(encodeTaskSpaceState(s)).toEqual(bad);
          new TaskSpace(memory, LIMITS).loadState(s);
        } catch (e) {
          expect(e).toBeInstanceOf(StateFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
