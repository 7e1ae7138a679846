// TaskSpace: one test per error code and per rule (windows, placement, all-or-nothing,
// unmap coverage, read-only), then random hostile call sequences against a reference model
// written with arrays and BigInt, comparing every outcome and checking invariants.
import { inspect } from 'node:util';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  type Mapping,
  TASK_SPACE_BYTES,
  TASK_SPACE_ERROR_CODES,
  TaskSpace,
  TaskSpaceConfigError,
  type TaskSpaceErrorCode,
  type TaskSpaceLimits,
} from '../../../actors/device/task-space.js';
import { GUEST_PAGE_SIZE, type GuestMemory, createGuestMemory } from '../../../shared/guest-memory/index.js';

const P = GUEST_PAGE_SIZE;
const MAX = Number.MAX_SAFE_INTEGER;
const TOP_END = Math.floor(MAX / P) * P;

// RAM, a ROM right after it (adjacent), a hole, a second RAM, and a region at the top of 2^53.
function machine(): GuestMemory {
  return createGuestMemory({
    regions: [
      { name: 'ram', base: 0, size: 64 * P },
      { name: 'rom', base: 64 * P, size: 4 * P, readOnly: true },
      { name: 'ram2', base: 0x100000, size: 16 * P },
      { name: 'top', base: TOP_END - 2 * P, size: 2 * P },
    ],
  });
}

function codeOf(r: { ok: boolean; error?: { code: TaskSpaceErrorCode } }): TaskSpaceErrorCode | 'ok' {
  return r.ok ? 'ok' : r.error!.code;
}

function created(ts: TaskSpace, vmSize: number): { task: number; base: number } {
  const r = ts.createTask(vmSize);
  if (!r.ok) throw new Error(r.error.message);
  return r;
}

describe('TaskSpace: clear() (device reset)', () => {
  it('destroys every task and starts ids and window slots over: the next tasks get the ids and bases a new task space gives', () => {
    const fresh = new TaskSpace(machine());
    const expected = [created(fresh, 4 * P), created(fresh, 8 * P)];
    const ts = new TaskSpace(machine());
    for (let i = 0; i < 5; i++) created(ts, 2 * P);
    ts.destroyTask(2);
    ts.clear();
    expect(ts.stats()).toMatchObject({ tasks: 0, mappings: 0, bytesMapped: 0, windowBytes: 0 });
    expect([created(ts, 4 * P), created(ts, 8 * P)]).toEqual(expected);
  });
});

describe('TaskSpace: tasks and windows', () => {
  it('gives each task a distinct, non-zero, slot-aligned window and never reuses a live id', () => {
    const ts = new TaskSpace(machine());
    const tasks = [1, 2, 3, 4].map((n) => created(ts, n * P));
    expect(new Set(tasks.map((t) => t.task)).size).toBe(4);
    for (const t of tasks) {
      expect(t.base).toBeGreaterThan(0);
      expect(t.base % ts.slotBytes).toBe(0);
      expect(t.base + ts.slotBytes).toBeLessThanOrEqual(TASK_SPACE_BYTES);
    }
    expect(codeOf(ts.destroyTask(tasks[1]!.task))).toBe('ok');
    const again = created(ts, P);
    expect(tasks.map((t) => t.task)).not.toContain(again.task);
    expect(ts.stats()).toMatchObject({ tasks: 4, tasksCreated: 5, tasksDestroyed: 1, windowBytes: 9 * P });
  });

  it('reuses a freed window only once every slot has been used', () => {
    // maxTaskBytes 2^50 → 4 slots of 2^50, slot 0 never used: 3 windows.
    const ts = new TaskSpace(machine(), { maxTasks: 3, maxTaskBytes: 2 ** 50 });
    const [a, b, c] = [created(ts, P), created(ts, P), created(ts, P)];
    expect([a.base, b.base, c.base]).toEqual([2 ** 50, 2 ** 51, 3 * 2 ** 50]);
    ts.destroyTask(b.task);
    const d = created(ts, 2 * P);
    expect(d.base).toBe(2 ** 51);
    expect(d.task).toBe(4);
  });

  it('refuses bad sizes and limits with error values, never throws', () => {
    const ts = new TaskSpace(machine(), { maxTasks: 2, maxTaskBytes: 16 * P, maxTotalTaskBytes: 20 * P });
    for (const v of [0, -P, P - 1, P + 1, 1.5 * P, Number.NaN, Infinity, 2 ** 53, -0.5, '4096', null, undefined, {}, 2n ** 60n, -4096n]) {
      expect(codeOf(ts.createTask(v)), inspect(v)).toBe('bad-size');
    }
    expect(codeOf(ts.createTask(17 * P))).toBe('task-limit');
    expect(codeOf(ts.createTask(16 * P))).toBe('ok');
    expect(codeOf(ts.createTask(5 * P))).toBe('task-limit'); // 21 pages of windows > 20
    expect(codeOf(ts.createTask(4096n * 4n))).toBe('ok'); // bigint sizes are fine
    expect(codeOf(ts.createTask(P))).toBe('too-many-tasks');
    const s = ts.stats();
    expect(s.errors['bad-size']).toBe(15);
    expect(s.errors['task-limit']).toBe(2);
    expect(s.errors['too-many-tasks']).toBe(1);
  });

  it('refuses an unknown task everywhere', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 16 * P);
    ts.destroyTask(t.task);
    for (const id of [t.task, 0, 99, -1, 1.5, Number.NaN, 'x', null, BigInt(t.task)]) {
      expect(codeOf(ts.destroyTask(id))).toBe('unknown-task');
      expect(codeOf(ts.mapMemory(id, 0, false, [{ gpa: 0, length: P }]))).toBe('unknown-task');
      expect(codeOf(ts.unmapMemory(id, 0, P))).toBe('unknown-task');
      expect(codeOf(ts.translate(id, t.base, 1, 'read'))).toBe('unknown-task');
    }
    expect(ts.stats().errors['unknown-task']).toBe(36);
    expect(ts.createTask(P).ok && ts.destroyTask(2n).ok).toBe(true); // a live id may be given as a bigint
  });

  it('rejects inconsistent limits as configuration errors', () => {
    const mem = machine();
    expect(() => new TaskSpace(mem, { maxTasks: 0 })).toThrow(TaskSpaceConfigError);
    expect(() => new TaskSpace(mem, { maxTaskBytes: 100 })).toThrow(TaskSpaceConfigError);
    expect(() => new TaskSpace(mem, { maxTaskBytes: 2 ** 52 })).toThrow(TaskSpaceConfigError);
    expect(() => new TaskSpace(mem, { maxTasks: 4, maxTaskBytes: 2 ** 50 })).toThrow(/2\^52/);
    expect(() => new TaskSpace(mem, { maxRangesPerMap: 0 })).toThrow(TaskSpaceConfigError);
  });
});

describe('TaskSpace: mapMemory', () => {
  it('places ranges contiguously and records each one', () => {
    const mem = machine();
    const ts = new TaskSpace(mem);
    const t = created(ts, 64 * P);
    const r = ts.mapMemory(t.task, 2 * P, false, [
      { gpa: 8 * P, length: 2 * P },
      { gpa: 0x100000n, length: P },
      { gpa: 0, length: 3 * P },
    ]);
    expect(r.ok).toBe(true);
    const maps = r.ok ? r.mappings : [];
    expect(maps.map((m) => [m.va - t.base, m.length, m.gpa, m.readOnly])).toEqual([
      [2 * P, 2 * P, 8 * P, false],
      [4 * P, P, 0x100000, false],
      [5 * P, 3 * P, 0, false],
    ]);
    for (const m of maps) {
      const tr = mem.translate(m.gpa, m.length, 'write');
      expect(tr.ok && tr.offset).toBe(m.sabOffset);
      expect(m.task).toBe(t.task);
    }
    expect(ts.taskInfo(t.task)).toMatchObject({ mappings: 3, bytesMapped: 6 * P });
    expect(ts.stats()).toMatchObject({ mappings: 3, bytesMapped: 6 * P });
  });

  it('enforces read-only: a writable mapping of ROM is refused, a read-only one is not', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 64 * P);
    expect(codeOf(ts.mapMemory(t.task, 0, false, [{ gpa: 64 * P, length: P }]))).toBe('read-only-region');
    expect(codeOf(ts.mapMemory(t.task, 0, true, [{ gpa: 64 * P, length: 4 * P }]))).toBe('ok');
    expect(codeOf(ts.translate(t.task, t.base, 4, 'read'))).toBe('ok');
    expect(codeOf(ts.translate(t.task, t.base, 4, 'write'))).toBe('read-only-mapping');
    expect(ts.stats().errors['read-only-region']).toBe(1);
  });

  it('requires each range to be page-aligned, non-empty and inside one RAM region', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 64 * P);
    const map = (gpa: unknown, length: unknown) => codeOf(ts.mapMemory(t.task, 0, false, [{ gpa, length } as never]));
    expect(map(1, P)).toBe('bad-range');
    expect(map(0, 0)).toBe('bad-range');
    expect(map(0, 100)).toBe('bad-range');
    expect(map(-P, P)).toBe('bad-range');
    expect(map(0, -P)).toBe('bad-range');
    expect(map(0.5, P)).toBe('bad-range');
    expect(map(2 ** 53, P)).toBe('bad-range');
    expect(map(2n ** 64n - 4096n, P)).toBe('bad-range');
    expect(map('0', P)).toBe('bad-range');
    expect(codeOf(ts.mapMemory(t.task, 0, false, [null]))).toBe('bad-range');
    expect(codeOf(ts.mapMemory(t.task, 0, false, [7]))).toBe('bad-range');
    expect(map(63 * P, 2 * P)).toBe('not-in-ram'); // ram into the adjacent rom
    expect(map(68 * P, P)).toBe('not-in-ram'); // the hole
    expect(map(0x100000 + 15 * P, 2 * P)).toBe('not-in-ram'); // past ram2's end
    expect(map(TOP_END - P, 2 * P)).toBe('not-in-ram'); // past 2^53 - 4096
    expect(map(TOP_END - 2 * P, 2 * P)).toBe('ok'); // the top region itself
    expect(ts.stats().mappings).toBe(1);
  });

  it('checks the placement against the window, with overflow', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 8 * P);
    expect(codeOf(ts.mapMemory(t.task, 7 * P, false, [{ gpa: 0, length: 2 * P }]))).toBe('outside-window');
    expect(codeOf(ts.mapMemory(t.task, 8 * P, false, [{ gpa: 0, length: P }]))).toBe('outside-window');
    expect(codeOf(ts.mapMemory(t.task, 2 ** 52, false, [{ gpa: 0, length: P }]))).toBe('outside-window');
    expect(codeOf(ts.mapMemory(t.task, MAX - (MAX % P), false, [{ gpa: 0, length: P }]))).toBe('outside-window');
    const many = Array.from({ length: 9 }, () => ({ gpa: 0, length: P }));
    expect(codeOf(ts.mapMemory(t.task, 0, false, many))).toBe('outside-window'); // the 9th page
    expect(codeOf(ts.mapMemory(t.task, 0, false, many.slice(0, 8)))).toBe('ok'); // aliasing one gpa is fine
    expect(codeOf(ts.mapMemory(t.task, -P, false, [{ gpa: 0, length: P }]))).toBe('bad-range');
    expect(codeOf(ts.mapMemory(t.task, 100, false, [{ gpa: 0, length: P }]))).toBe('bad-range');
  });

  it('treats overlap with an existing mapping as an error, not a replace', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 32 * P);
    expect(codeOf(ts.mapMemory(t.task, 4 * P, false, [{ gpa: 0, length: 4 * P }]))).toBe('ok');
    const r = ts.mapMemory(t.task, 7 * P, false, [{ gpa: 16 * P, length: 2 * P }]);
    expect(codeOf(r)).toBe('overlap');
    expect(!r.ok && r.error.message).toMatch(/0x7000.*0x4000/);
    expect(codeOf(ts.mapMemory(t.task, 0, false, [{ gpa: 16 * P, length: 5 * P }]))).toBe('overlap');
    expect(codeOf(ts.mapMemory(t.task, 0, false, [{ gpa: 16 * P, length: 4 * P }]))).toBe('ok'); // adjacent before
    expect(codeOf(ts.mapMemory(t.task, 8 * P, false, [{ gpa: 16 * P, length: 4 * P }]))).toBe('ok'); // adjacent after
    expect([...ts.mappingsOf(t.task)].map((m) => (m.va - t.base) / P)).toEqual([0, 4, 8]);
    // The same offsets in another task are another address space.
    const u = created(ts, 32 * P);
    expect(codeOf(ts.mapMemory(u.task, 4 * P, false, [{ gpa: 0, length: 4 * P }]))).toBe('ok');
  });

  it('is all or nothing: a bad range anywhere leaves no mapping', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 32 * P);
    const good = { gpa: 0, length: P };
    for (const bad of [
      { gpa: 68 * P, length: P },
      { gpa: 64 * P, length: P },
      { gpa: 1, length: P },
    ]) {
      expect(codeOf(ts.mapMemory(t.task, 0, false, [good, good, bad, good]))).not.toBe('ok');
    }
    expect(codeOf(ts.mapMemory(t.task, 30 * P, false, [good, good, good]))).toBe('outside-window');
    expect(ts.stats()).toMatchObject({ mappings: 0, bytesMapped: 0 });
    expect([...ts.mappingsOf(t.task)]).toEqual([]);
  });

  it('bounds the ranges per call and the mappings per task and overall', () => {
    const ts = new TaskSpace(machine(), { maxRangesPerMap: 4, maxMappingsPerTask: 6, maxTotalMappings: 8 });
    const t = created(ts, 64 * P);
    const u = created(ts, 64 * P);
    const pages = (n: number) => Array.from({ length: n }, (_, i) => ({ gpa: i * P, length: P }));
    expect(codeOf(ts.mapMemory(t.task, 0, false, []))).toBe('bad-range');
    expect(codeOf(ts.mapMemory(t.task, 0, false, pages(5)))).toBe('too-many-ranges');
    expect(codeOf(ts.mapMemory(t.task, 0, false, pages(4)))).toBe('ok');
    expect(codeOf(ts.mapMemory(t.task, 4 * P, false, pages(3)))).toBe('too-many-mappings'); // 7 > 6 per task
    expect(codeOf(ts.mapMemory(t.task, 4 * P, false, pages(2)))).toBe('ok');
    expect(codeOf(ts.mapMemory(u.task, 0, false, pages(3)))).toBe('too-many-mappings'); // 9 > 8 overall
    expect(codeOf(ts.mapMemory(u.task, 0, false, pages(2)))).toBe('ok');
    expect(codeOf(ts.mapMemory(t.task, 0, 'yes', pages(1)))).toBe('bad-argument');
    expect(codeOf(ts.mapMemory(t.task, 0, false, { length: 1 }))).toBe('bad-argument');
  });
});

describe('TaskSpace: unmapMemory coverage', () => {
  function setup() {
    const ts = new TaskSpace(machine());
    const t = created(ts, 64 * P);
    // Mappings at pages [2,4), [4,5), [8,12); a hole at [5,8).
    ts.mapMemory(t.task, 2 * P, false, [
      { gpa: 0, length: 2 * P },
      { gpa: 2 * P, length: P },
    ]);
    ts.mapMemory(t.task, 8 * P, true, [{ gpa: 64 * P, length: 4 * P }]);
    const pagesLeft = () => [...ts.mappingsOf(t.task)].map((m) => (m.va - t.base) / P);
    return { ts, t, pagesLeft };
  }

  it('removes every mapping wholly inside the range, holes allowed', () => {
    const { ts, t, pagesLeft } = setup();
    const r = ts.unmapMemory(t.task, 3 * P, 9 * P); // [3,12): [4,5) and [8,12), but it cuts [2,4)
    expect(codeOf(r)).toBe('cuts-mapping');
    expect(pagesLeft()).toEqual([2, 4, 8]);
    const ok = ts.unmapMemory(t.task, 4 * P, 8 * P); // [4,12)
    expect(ok.ok && ok.mappings.map((m) => (m.va - t.base) / P)).toEqual([4, 8]);
    expect(ok.ok && ok.bytes).toBe(5 * P);
    expect(pagesLeft()).toEqual([2]);
    expect(ts.stats()).toMatchObject({ mappings: 1, bytesMapped: 2 * P });
  });

  it('refuses to cut a mapping at either end or from inside, and removes nothing', () => {
    const { ts, t, pagesLeft } = setup();
    expect(codeOf(ts.unmapMemory(t.task, 2 * P, P))).toBe('cuts-mapping'); // first half of [2,4)
    expect(codeOf(ts.unmapMemory(t.task, 0, 3 * P))).toBe('cuts-mapping'); // [0,3)
    expect(codeOf(ts.unmapMemory(t.task, 9 * P, 2 * P))).toBe('cuts-mapping'); // inside [8,12)
    expect(codeOf(ts.unmapMemory(t.task, 2 * P, 9 * P))).toBe('cuts-mapping'); // [2,11): cuts [8,12)
    expect(pagesLeft()).toEqual([2, 4, 8]);
    expect(ts.stats().errors['cuts-mapping']).toBe(4);
  });

  it('reports an unmap of nothing, and bad or out-of-window ranges', () => {
    const { ts, t } = setup();
    expect(codeOf(ts.unmapMemory(t.task, 5 * P, 3 * P))).toBe('nothing-mapped'); // the hole
    expect(codeOf(ts.unmapMemory(t.task, 0, 2 * P))).toBe('nothing-mapped'); // adjacent to [2,4)
    expect(codeOf(ts.unmapMemory(t.task, 60 * P, 5 * P))).toBe('outside-window');
    expect(codeOf(ts.unmapMemory(t.task, 0, 0))).toBe('bad-range');
    expect(codeOf(ts.unmapMemory(t.task, 1, P))).toBe('bad-range');
    expect(codeOf(ts.unmapMemory(t.task, 0, P + 1))).toBe('bad-range');
    expect(codeOf(ts.unmapMemory(t.task, 0, 2 ** 53))).toBe('bad-range');
    expect(codeOf(ts.unmapMemory(t.task, 0, 64 * P))).toBe('ok'); // the whole window
    expect(ts.stats()).toMatchObject({ mappings: 0, bytesMapped: 0 });
    expect(ts.stats().errors['nothing-mapped']).toBe(2);
  });

  it('destroyTask releases every mapping', () => {
    const { ts, t } = setup();
    const r = ts.destroyTask(t.task);
    expect(r).toEqual({ ok: true, mappings: 3, bytes: 7 * P });
    expect(ts.stats()).toMatchObject({ tasks: 0, mappings: 0, bytesMapped: 0, windowBytes: 0 });
    expect([...ts.mappingsOf(t.task)]).toEqual([]);
    expect(ts.taskInfo(t.task)).toBeUndefined();
  });
});

describe('TaskSpace: translate', () => {
  it('translates inside one mapping, to the right SAB bytes', () => {
    const mem = machine();
    const ts = new TaskSpace(mem);
    const t = created(ts, 16 * P);
    ts.mapMemory(t.task, P, false, [
      { gpa: 5 * P, length: P },
      { gpa: 0x100000, length: 2 * P },
    ]);
    mem.write(0x100000 + 0x123, new Uint8Array([0xab, 0xcd]));
    const r = ts.translate(t.task, t.base + 2 * P + 0x123, 2, 'read');
    expect(r.ok).toBe(true);
    if (r.ok) expect([...mem.bytes.subarray(r.offset, r.offset + 2)]).toEqual([0xab, 0xcd]);
    expect(codeOf(ts.translate(t.task, t.base + 4 * P - 8, 8, 'write'))).toBe('ok'); // last bytes
    expect(codeOf(ts.translate(t.task, BigInt(t.base + P), 1, 'read'))).toBe('ok');
    expect(codeOf(ts.translate(t.task, t.base + P, 0, 'read'))).toBe('ok');
  });

  it('refuses ranges that leave their mapping, even into an adjacent one', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 16 * P);
    ts.mapMemory(t.task, P, false, [
      { gpa: 5 * P, length: P },
      { gpa: 0x100000, length: 2 * P },
    ]);
    expect(codeOf(ts.translate(t.task, t.base + 2 * P - 4, 4, 'read'))).toBe('ok');
    expect(codeOf(ts.translate(t.task, t.base + 2 * P - 4, 5, 'read'))).toBe('crosses-mapping');
    expect(codeOf(ts.translate(t.task, t.base + 4 * P - 4, 8, 'read'))).toBe('crosses-mapping');
    expect(codeOf(ts.translate(t.task, t.base + P, MAX, 'read'))).toBe('crosses-mapping');
    expect(codeOf(ts.translate(t.task, t.base + 4 * P, 1, 'read'))).toBe('not-mapped');
    expect(codeOf(ts.translate(t.task, t.base, 1, 'read'))).toBe('not-mapped');
    expect(codeOf(ts.translate(t.task, t.base + 4 * P, 0, 'read'))).toBe('not-mapped'); // zero length is a 1-byte check
    expect(codeOf(ts.translate(t.task, t.base - 1, 1, 'read'))).toBe('outside-window');
    expect(codeOf(ts.translate(t.task, t.base + 16 * P, 1, 'read'))).toBe('outside-window');
    expect(codeOf(ts.translate(t.task, P, 1, 'read'))).toBe('outside-window'); // an offset is not an address
    expect(codeOf(ts.translate(t.task, -1, 1, 'read'))).toBe('bad-range');
    expect(codeOf(ts.translate(t.task, t.base + P, -1, 'read'))).toBe('bad-range');
    expect(codeOf(ts.translate(t.task, 2 ** 53, 1, 'read'))).toBe('bad-range');
    expect(codeOf(ts.translate(t.task, t.base + P, 1.5, 'read'))).toBe('bad-range');
    expect(codeOf(ts.translate(t.task, t.base + P, 1, 'exec'))).toBe('bad-argument');
  });

  it('reports every error code in stats and hex addresses in messages', () => {
    const ts = new TaskSpace(machine());
    const t = created(ts, 16 * P);
    const r = ts.translate(t.task, t.base + 0x1234, 4, 'read');
    expect(!r.ok && r.error.message).toContain(`0x${(t.base + 0x1234).toString(16)}`);
    expect(Object.keys(ts.stats().errors).sort()).toEqual([...TASK_SPACE_ERROR_CODES].sort());
    expect(ts.stats().errors['not-mapped']).toBe(1);
  });
});

// ---- the reference model: arrays and BigInt ----

interface MTask {
  id: number;
  slot: bigint;
  base: bigint;
  vmSize: bigint;
  maps: { va: bigint; len: bigint; gpa: bigint; ro: boolean }[];
}
type Out = { code: TaskSpaceErrorCode | 'ok'; value?: unknown };
const B_MAX = BigInt(MAX);
const BP = BigInt(P);

/** The value of an exact non-negative guest integer, as BigInt; undefined otherwise. */
function big(v: unknown): bigint | undefined {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX) b = BigInt(v);
  else return undefined;
  return b >= 0n && b <= B_MAX ? b : undefined;
}

class Model {
  tasks: MTask[] = [];
  nextId = 1;
  nextSlot = 1n;
  free: bigint[] = [];
  readonly slotBytes: bigint;
  readonly slots: bigint;
  constructor(
    readonly l: TaskSpaceLimits,
    readonly mem: GuestMemory,
  ) {
    let s = 1n;
    while (s < BigInt(l.maxTaskBytes)) s *= 2n;
    this.slotBytes = s;
    this.slots = 2n ** 52n / s;
  }
  task(id: unknown): MTask | undefined {
    const b = big(id);
    return this.tasks.find((t) => BigInt(t.id) === b);
  }
  mappings(): number {
    return this.tasks.reduce((n, t) => n + t.maps.length, 0);
  }
  create(v: unknown): Out {
    const size = big(v);
    if (size === undefined || size === 0n || size % BP !== 0n) return { code: 'bad-size' };
    if (this.tasks.length >= this.l.maxTasks) return { code: 'too-many-tasks' };
    const live = this.tasks.reduce((n, t) => n + t.vmSize, 0n);
    if (size > BigInt(this.l.maxTaskBytes) || live + size > BigInt(this.l.maxTotalTaskBytes)) return { code: 'task-limit' };
    const slot = this.nextSlot < this.slots ? this.nextSlot++ : this.free.pop()!;
    const t: MTask = { id: this.nextId++, slot, base: slot * this.slotBytes, vmSize: size, maps: [] };
    this.tasks.push(t);
    return { code: 'ok', value: { task: t.id, base: Number(t.base) } };
  }
  destroy(id: unknown): Out {
    const t = this.task(id);
    if (!t) return { code: 'unknown-task' };
    this.tasks = this.tasks.filter((x) => x !== t);
    this.free.push(t.slot);
    return { code: 'ok', value: { mappings: t.maps.length, bytes: Number(t.maps.reduce((n, m) => n + m.len, 0n)) } };
  }
  region(gpa: bigint) {
    return this.mem.regions.find((r) => BigInt(r.base) <= gpa && gpa < BigInt(r.base) + BigInt(r.size));
  }
  map(id: unknown, vo: unknown, ro: unknown, ranges: unknown): Out {
    const t = this.task(id);
    if (!t) return { code: 'unknown-task' };
    if (typeof ro !== 'boolean' || !Array.isArray(ranges)) return { code: 'bad-argument' };
    if (ranges.length === 0) return { code: 'bad-range' };
    if (ranges.length > this.l.maxRangesPerMap) return { code: 'too-many-ranges' };
    const off = big(vo);
    if (off === undefined || off % BP !== 0n) return { code: 'bad-range' };
    let cur = off;
    const add: MTask['maps'] = [];
    for (const r of ranges as unknown[]) {
      if (typeof r !== 'object' || r === null) return { code: 'bad-range' };
      const gpa = big((r as { gpa: unknown }).gpa);
      const len = big((r as { length: unknown }).length);
      if (gpa === undefined || gpa % BP !== 0n || len === undefined || len === 0n || len % BP !== 0n) return { code: 'bad-range' };
      const reg = this.region(gpa);
      if (!reg || gpa + len > BigInt(reg.base) + BigInt(reg.size)) return { code: 'not-in-ram' };
      if (!ro && reg.readOnly) return { code: 'read-only-region' };
      if (cur + len > t.vmSize) return { code: 'outside-window' };
      add.push({ va: t.base + cur, len, gpa, ro });
      cur += len;
    }
    if (t.maps.length + add.length > this.l.maxMappingsPerTask) return { code: 'too-many-mappings' };
    if (this.mappings() + add.length > this.l.maxTotalMappings) return { code: 'too-many-mappings' };
    const s = t.base + off;
    const e = t.base + cur;
    if (t.maps.some((m) => m.va < e && s < m.va + m.len)) return { code: 'overlap' };
    t.maps.push(...add);
    return { code: 'ok', value: add.map((m) => [Number(m.va), Number(m.len), Number(m.gpa)]) };
  }
  unmap(id: unknown, vo: unknown, length: unknown): Out {
    const t = this.task(id);
    if (!t) return { code: 'unknown-task' };
    const off = big(vo);
    const len = big(length);
    if (off === undefined || off % BP !== 0n || len === undefined || len === 0n || len % BP !== 0n) return { code: 'bad-range' };
    if (off + len > t.vmSize) return { code: 'outside-window' };
    const s = t.base + off;
    const e = s + len;
    const hit = t.maps.filter((m) => m.va < e && s < m.va + m.len);
    if (hit.some((m) => m.va < s || m.va + m.len > e)) return { code: 'cuts-mapping' };
    if (hit.length === 0) return { code: 'nothing-mapped' };
    t.maps = t.maps.filter((m) => !hit.includes(m));
    hit.sort((a, b) => (a.va < b.va ? -1 : 1));
    return { code: 'ok', value: hit.map((m) => [Number(m.va), Number(m.len), Number(m.gpa)]) };
  }
  translate(id: unknown, va: unknown, length: unknown, access: unknown): Out {
    if (access !== 'read' && access !== 'write') return { code: 'bad-argument' };
    const t = this.task(id);
    if (!t) return { code: 'unknown-task' };
    const a = big(va);
    const n = big(length);
    if (a === undefined || n === undefined) return { code: 'bad-range' };
    if (a < t.base || a >= t.base + t.vmSize) return { code: 'outside-window' };
    const m = t.maps.find((x) => x.va <= a && a < x.va + x.len);
    if (!m) return { code: 'not-mapped' };
    if (a + n > m.va + m.len) return { code: 'crosses-mapping' };
    if (access === 'write' && m.ro) return { code: 'read-only-mapping' };
    const reg = this.region(m.gpa)!;
    return { code: 'ok', value: Number(BigInt(reg.offset) + (m.gpa - BigInt(reg.base)) + (a - m.va)) };
  }
}

// ---- hostile call sequences ----

const hostileInt = fc.constantFrom<unknown>(
  -P,
  -1,
  -0,
  1,
  P - 1,
  1.5,
  Number.NaN,
  Infinity,
  2 ** 52,
  MAX,
  2 ** 53,
  2 ** 64,
  -(2 ** 53),
  '4096',
  null,
  2n ** 64n,
  BigInt(P),
);
const pages = (max: number) => fc.integer({ min: 0, max }).map((n) => n * P);
const int = (good: fc.Arbitrary<unknown>, weight = 10) => fc.oneof({ weight, arbitrary: good }, { weight: 1, arbitrary: hostileInt });
/** k: a live task; dead: a destroyed one; v: garbage. */
type TaskRef = { k?: number; dead?: number; v?: unknown };
const taskRef: fc.Arbitrary<TaskRef> = fc.oneof(
  { weight: 16, arbitrary: fc.nat().map((k) => ({ k })) },
  { weight: 1, arbitrary: fc.nat().map((dead) => ({ dead })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 9999, -1, 'x', 1.5, Number.NaN).map((v) => ({ v })) },
);
const gpa = int(
  fc.oneof(
    { weight: 4, arbitrary: pages(60) },
    pages(70),
    pages(18).map((p) => 0x100000 - 2 * P + p),
    fc.constant(TOP_END - 2 * P),
  ),
  60,
);
const range = fc.oneof(
  { weight: 60, arbitrary: fc.record({ gpa, length: int(pages(6), 60) }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 7, {}) },
);

type Cmd =
  | { c: 'create'; vmSize: unknown }
  | { c: 'destroy'; t: TaskRef }
  | { c: 'map'; t: TaskRef; vo: unknown; ro: unknown; ranges: unknown }
  | { c: 'unmap'; t: TaskRef; vo: unknown; len: unknown }
  /** Unmaps what an earlier mapMemory placed (as the framework does), widened or narrowed by a page or not. */
  | { c: 'unmapMapped'; k: number; startDelta: number; endDelta: number }
  /** Translates near what an earlier mapMemory placed. */
  | { c: 'translateMapped'; k: number; fromEnd: boolean; delta: number; len: number; access: unknown }
  | { c: 'translate'; t: TaskRef; off: unknown; len: unknown; access: unknown };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: int(pages(40)).map((vmSize) => ({ c: 'create' as const, vmSize })) },
  { weight: 1, arbitrary: taskRef.map((t) => ({ c: 'destroy' as const, t })) },
  {
    weight: 8,
    arbitrary: fc.record({
      c: fc.constant('map' as const),
      t: taskRef,
      vo: int(pages(24), 30),
      ro: fc.oneof({ weight: 10, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constant<unknown>(1) }),
      ranges: fc.oneof(
        { weight: 30, arbitrary: fc.array(range, { minLength: 1, maxLength: 5 }) },
        { weight: 1, arbitrary: fc.constantFrom<unknown>('ranges', []) },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ c: fc.constant('unmap' as const), t: taskRef, vo: int(pages(40)), len: int(pages(12)) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      c: fc.constant('unmapMapped' as const),
      k: fc.nat(),
      startDelta: fc.constantFrom(0, 0, 0, -P, P),
      endDelta: fc.constantFrom(0, 0, 0, -P, P),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      c: fc.constant('translateMapped' as const),
      k: fc.nat(),
      fromEnd: fc.boolean(), // near the end of the placement, where off-by-ones live
      delta: fc.integer({ min: -8, max: 6 * P + 8 }),
      len: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: P + 8 })),
      access: fc.constantFrom<unknown>('read', 'write'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      c: fc.constant('translate' as const),
      t: taskRef,
      off: fc.oneof(fc.integer({ min: -8, max: 41 * P }), hostileInt),
      len: fc.oneof(fc.integer({ min: 0, max: 2 * P }), hostileInt),
      access: fc.constantFrom<unknown>('read', 'write', 'read', 'write', 'exec'),
    }),
  },
);

function outOf(r: { ok: boolean; error?: { code: TaskSpaceErrorCode } } & Record<string, unknown>, value: (r: never) => unknown): Out {
  return r.ok ? { code: 'ok', value: value(r as never) } : { code: r.error!.code };
}
const triple = (ms: readonly Mapping[]) => ms.map((m) => [m.va, m.length, m.gpa]);

function checkInvariants(ts: TaskSpace, mem: GuestMemory, model: Model, dead: number[]): void {
  const s = ts.stats();
  expect(s.tasks).toBe(model.tasks.length);
  expect(s.mappings).toBe(model.mappings());
  let bytes = 0;
  const windows: [number, number][] = [];
  for (const id of ts.taskIds()) {
    const info = ts.taskInfo(id)!;
    windows.push([info.base, info.base + info.vmSize]);
    let prevEnd = info.base;
    for (const m of ts.mappingsOf(id)) {
      expect(m.task).toBe(id);
      expect(m.va).toBeGreaterThanOrEqual(prevEnd); // sorted, no two overlap
      prevEnd = m.va + m.length;
      expect(prevEnd).toBeLessThanOrEqual(info.base + info.vmSize); // inside the window
      const tr = mem.translate(m.gpa, m.length, m.readOnly ? 'read' : 'write'); // inside RAM, permission holds
      expect(tr.ok && tr.offset).toBe(m.sabOffset);
      bytes += m.length;
    }
  }
  expect(s.bytesMapped).toBe(bytes);
  windows.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < windows.length; i++) expect(windows[i]![0]).toBeGreaterThanOrEqual(windows[i - 1]![1]);
  for (const id of dead) {
    expect(ts.taskInfo(id)).toBeUndefined();
    expect([...ts.mappingsOf(id)]).toEqual([]);
  }
}

describe('TaskSpace against the reference model', () => {
  const configs: [string, Partial<TaskSpaceLimits>][] = [
    ['small limits', { maxTasks: 4, maxTaskBytes: 32 * P, maxTotalTaskBytes: 80 * P, maxMappingsPerTask: 10, maxTotalMappings: 16, maxRangesPerMap: 4 }],
    ['window slots reused', { maxTasks: 3, maxTaskBytes: 2 ** 50, maxMappingsPerTask: 40, maxRangesPerMap: 5 }],
  ];
  for (const [name, limits] of configs) {
    it(`agrees on every outcome under hostile sequences (${name})`, () => {
      const seen = new Map<string, number>();
      fc.assert(
        fc.property(fc.array(cmd, { maxLength: 150, size: 'max' }), (rest) => {
          const cmds: Cmd[] = [{ c: 'create', vmSize: 16 * P }, { c: 'create', vmSize: 32 * P }, ...rest];
          const mem = machine();
          const ts = new TaskSpace(mem, limits);
          const model = new Model(ts.limits, mem);
          const ids: number[] = [];
          const bases = new Map<number, number>();
          const dead: number[] = [];
          const placed: { id: number; vo: number; len: number }[] = [];
          const resolve = (t: TaskRef): unknown => {
            const live = ts.taskIds();
            if (t.k !== undefined && live.length > 0) return live[t.k % live.length];
            if (t.dead !== undefined && dead.length > 0) return dead[t.dead % dead.length];
            return t.v ?? 0;
          };
          cmds.forEach((c, i) => {
            let got: Out;
            let want: Out;
            switch (c.c) {
              case 'create':
                got = outOf(ts.createTask(c.vmSize), (r: { task: number; base: number }) => ({ task: r.task, base: r.base }));
                want = model.create(c.vmSize);
                if (got.code === 'ok') {
                  const v = got.value as { task: number; base: number };
                  ids.push(v.task);
                  bases.set(v.task, v.base);
                }
                break;
              case 'destroy': {
                const id = resolve(c.t);
                got = outOf(ts.destroyTask(id), (r: { mappings: number; bytes: number }) => ({ mappings: r.mappings, bytes: r.bytes }));
                want = model.destroy(id);
                if (got.code === 'ok') {
                  dead.push(id as number);
                  placed.splice(0, placed.length, ...placed.filter((p) => p.id !== id));
                }
                break;
              }
              case 'map': {
                const id = resolve(c.t);
                const r = ts.mapMemory(id, c.vo, c.ro, c.ranges);
                got = outOf(r, (r: { mappings: Mapping[] }) => triple(r.mappings));
                want = model.map(id, c.vo, c.ro, c.ranges);
                if (r.ok) placed.push({ id: id as number, vo: Number(c.vo), len: r.mappings.reduce((n, m) => n + m.length, 0) });
                break;
              }
              case 'unmapMapped': {
                const p = placed[c.k % Math.max(1, placed.length)] ?? { id: 1, vo: 0, len: P };
                const vo = p.vo + c.startDelta;
                const len = p.len - c.startDelta + c.endDelta;
                got = outOf(ts.unmapMemory(p.id, vo, len), (r: { mappings: Mapping[] }) => triple(r.mappings));
                want = model.unmap(p.id, vo, len);
                break;
              }
              case 'unmap': {
                const id = resolve(c.t);
                got = outOf(ts.unmapMemory(id, c.vo, c.len), (r: { mappings: Mapping[] }) => triple(r.mappings));
                want = model.unmap(id, c.vo, c.len);
                break;
              }
              case 'translateMapped': {
                const p = placed[c.k % Math.max(1, placed.length)] ?? { id: 1, vo: 0, len: P };
                const va = (bases.get(p.id) ?? 0) + p.vo + (c.fromEnd ? p.len - (c.delta % 16) : c.delta);
                got = outOf(ts.translate(p.id, va, c.len, c.access), (r: { offset: number }) => r.offset);
                want = model.translate(p.id, va, c.len, c.access);
                break;
              }
              case 'translate': {
                const id = resolve(c.t);
                const base = bases.get(id as number) ?? 0;
                const va = typeof c.off === 'number' && Number.isSafeInteger(c.off) ? base + c.off : c.off;
                got = outOf(ts.translate(id, va, c.len, c.access), (r: { offset: number }) => r.offset);
                want = model.translate(id, va, c.len, c.access);
                break;
              }
            }
            expect(got, `command ${i}: ${JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`).toEqual(want);
            seen.set(`${c.c} ${got.code}`, (seen.get(`${c.c} ${got.code}`) ?? 0) + 1);
          });
          checkInvariants(ts, mem, model, dead);
          const errors = Object.values(ts.stats().errors).reduce((a, b) => a + b, 0);
          expect(errors).toBeLessThanOrEqual(cmds.length);
        }),
        { numRuns: 200 },
      );
      // The generators must reach the success paths and the interesting refusals, not only garbage.
      for (const k of [
        'create ok',
        'destroy ok',
        'map ok',
        'unmapMapped ok',
        'translateMapped ok',
        'map overlap',
        'unmapMapped cuts-mapping',
        'unmap nothing-mapped',
        'map not-in-ram',
        'translateMapped read-only-mapping',
        'translateMapped crosses-mapping',
        'translateMapped not-mapped',
      ]) {
        expect(seen.get(k) ?? 0, k).toBeGreaterThan(20);
      }
    });
  }

  it('holds its invariants after every step of a long random run', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 300, maxLength: 300 }), (cmds) => {
        const mem = machine();
        const ts = new TaskSpace(mem, { maxTasks: 5, maxTaskBytes: 64 * P, maxMappingsPerTask: 64 });
        const model = new Model(ts.limits, mem);
        const ids: number[] = [];
        for (const c of cmds) {
          const ref: TaskRef = 't' in c ? c.t : { k: 'k' in c ? c.k : 0 };
          const live = ts.taskIds();
          const id =
            ref.k !== undefined && live.length > 0 ? live[ref.k % live.length] : ref.dead !== undefined ? ids[ref.dead % Math.max(1, ids.length)] : ref.v;
          const same = (a: { ok: boolean; error?: { code: string } }, b: Out) => expect(a.ok ? 'ok' : a.error!.code).toBe(b.code);
          if (c.c === 'create') {
            const r = ts.createTask(c.vmSize);
            same(r, model.create(c.vmSize));
            if (r.ok) ids.push(r.task);
          } else if (c.c === 'destroy') same(ts.destroyTask(id), model.destroy(id));
          else if (c.c === 'map') same(ts.mapMemory(id, c.vo, c.ro, c.ranges), model.map(id, c.vo, c.ro, c.ranges));
          else if (c.c === 'unmap') same(ts.unmapMemory(id, c.vo, c.len), model.unmap(id, c.vo, c.len));
          else if (c.c === 'unmapMapped') same(ts.unmapMemory(id, 0, 64 * P), model.unmap(id, 0, 64 * P));
          checkInvariants(ts, mem, model, []);
        }
      }),
      { numRuns: 10 },
    );
  });
});
