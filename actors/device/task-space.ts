// The device actor's bookkeeping for PVG tasks: createTask / destroyTask / mapMemory /
// unmapMemory, and translate(), which looks a task address up in those mappings. The engine
// does not call translate(): it keeps its own table of the mappings accepted here
// (native/src/engine/soft/task_memory.h) and reaches guest memory only through that, in effect
// an IOMMU. Pure and synchronous. The device actor owns this state and is the only thread that
// touches it, so there is no lock. Every guest-caused failure is returned as a value, counted,
// and changes nothing. The rules are in docs/device-memory.md.
import { MAP_SEMANTICS, type MapSemantics } from '../../abi/generated/binding-strings.js';
import { GUEST_PAGE_SIZE, GuestMemoryErrno, type GuestAddressMap, formatGuestValue } from '../../shared/guest-memory/index.js';
import { IntervalMap } from './interval-map.js';

/** Tasks' windows live in a 2^52-byte task address space (numbers stay exact with room to spare). */
export const TASK_SPACE_BYTES = 2 ** 52;
export const PAGE = GUEST_PAGE_SIZE;

/**
 * What mapMemory and unmapMemory do where mappings already are (abi/schema/binding-strings.ts, the
 * engine's own task table's option too). 'strict' (this project's own
 * guest protocol): an overlapping map is refused, and an unmap must remove whole mappings and at
 * least one. 'framework' (the host contract ParavirtualizedGraphics.framework is written against,
 * as upstream QEMU implements it in hw/display/apple-gfx.m): a map overwrites whatever it
 * overlaps (`mach_vm_remap` with VM_FLAGS_OVERWRITE), and an unmap clears its range page by page
 * (`mach_vm_allocate` over it) and succeeds whatever was mapped there; mappings it covers in
 * part keep their parts outside.
 */
export { MAP_SEMANTICS, type MapSemantics };

export type TaskSpaceErrorCode =
  /** createTask: vmSize is not a page-aligned integer in [4 KiB, 2^53-1]. */
  | 'bad-size'
  /** createTask: maxTasks tasks are alive. */
  | 'too-many-tasks'
  /** createTask: vmSize > maxTaskBytes, or the live windows would exceed maxTotalTaskBytes. */
  | 'task-limit'
  /** The task id is not a live task. */
  | 'unknown-task'
  /** A non-numeric argument of the wrong type: readOnly not boolean, ranges not an array, access not 'read'/'write'. */
  | 'bad-argument'
  /** An offset, address or length that is not a non-negative safe integer, zero where it must not be, or not page-aligned; or no ranges. */
  | 'bad-range'
  /** mapMemory: a range is not wholly inside one guest RAM region. */
  | 'not-in-ram'
  /** mapMemory: a writable mapping of a read-only region. */
  | 'read-only-region'
  /** The range does not lie inside the task's window [0, vmSize). */
  | 'outside-window'
  /** mapMemory: the placement overlaps an existing mapping of the task (overlap is an error, never a replace). */
  | 'overlap'
  /** mapMemory: more ranges than maxRangesPerMap. */
  | 'too-many-ranges'
  /** mapMemory: the task (maxMappingsPerTask) or the device (maxTotalMappings) would hold too many mappings. */
  | 'too-many-mappings'
  /** unmapMemory: the range cuts through a mapping (covers part of it). */
  | 'cuts-mapping'
  /** unmapMemory: no mapping lies inside the range. */
  | 'nothing-mapped'
  /** translate: the address is not in any mapping. */
  | 'not-mapped'
  /** translate: the range starts in a mapping and runs past its end. */
  | 'crosses-mapping'
  /** translate: a write through a read-only mapping. */
  | 'read-only-mapping';

export const TASK_SPACE_ERROR_CODES: readonly TaskSpaceErrorCode[] = Object.freeze([
  'bad-size',
  'too-many-tasks',
  'task-limit',
  'unknown-task',
  'bad-argument',
  'bad-range',
  'not-in-ram',
  'read-only-region',
  'outside-window',
  'overlap',
  'too-many-ranges',
  'too-many-mappings',
  'cuts-mapping',
  'nothing-mapped',
  'not-mapped',
  'crosses-mapping',
  'read-only-mapping',
] as const);

export interface TaskSpaceError {
  readonly code: TaskSpaceErrorCode;
  /** Human-readable; addresses in hex. */
  readonly message: string;
}

export type Failure = { readonly ok: false; readonly error: TaskSpaceError };

/** One guest-physical range of a mapMemory call (PGPhysicalMemoryRange_t). */
export interface PhysicalRange {
  readonly gpa: number | bigint;
  readonly length: number | bigint;
}

/** One placed range. `va` is absolute in the task address space: task base + virtual offset. */
export interface Mapping {
  readonly task: number;
  readonly va: number;
  readonly length: number;
  readonly gpa: number;
  /** Byte offset of gpa in the guest-memory SAB. */
  readonly sabOffset: number;
  readonly readOnly: boolean;
}

export interface TaskInfo {
  readonly task: number;
  readonly base: number;
  readonly vmSize: number;
  readonly mappings: number;
  readonly bytesMapped: number;
}

export interface TaskSpaceLimits {
  /** Live tasks at once. Default 256. */
  readonly maxTasks: number;
  /** Largest vmSize (bytes, page-aligned). Default 2^40. Fixes the window slot size. */
  readonly maxTaskBytes: number;
  /** Sum of live vmSizes. Default 2^48 (windows are address space, not memory). */
  readonly maxTotalTaskBytes: number;
  /** Mappings one task may hold. Default 2^18. */
  readonly maxMappingsPerTask: number;
  /** Mappings all tasks together may hold (bounds host memory). Default 2^20. */
  readonly maxTotalMappings: number;
  /** Ranges in one mapMemory call. Default 64. */
  readonly maxRangesPerMap: number;
}

export const DEFAULT_TASK_SPACE_LIMITS: TaskSpaceLimits = Object.freeze({
  maxTasks: 256,
  maxTaskBytes: 2 ** 40,
  maxTotalTaskBytes: 2 ** 48,
  maxMappingsPerTask: 2 ** 18,
  maxTotalMappings: 2 ** 20,
  maxRangesPerMap: 64,
});

export interface TaskSpaceStats {
  readonly tasks: number;
  readonly mappings: number;
  readonly bytesMapped: number;
  /** Sum of live tasks' vmSize. */
  readonly windowBytes: number;
  readonly tasksCreated: number;
  readonly tasksDestroyed: number;
  /** Failed calls by code (every code present). */
  readonly errors: Readonly<Record<TaskSpaceErrorCode, number>>;
}

/** One mapping as a snapshot holds it: its place in the task's window, where in guest memory. */
export interface TaskSpaceMappingState {
  readonly offset: number;
  readonly length: number;
  readonly gpa: number;
  readonly readOnly: boolean;
}

/** A task space's state: what restores its tasks, windows and id and slot counters (task-space-snapshot.ts). */
export interface TaskSpaceState {
  readonly nextId: number;
  readonly nextSlot: number;
  /** Slots freed and not yet reused, in the order they are reused from (last first). */
  readonly freeSlots: readonly number[];
  /** By id (creation order). */
  readonly tasks: readonly { readonly id: number; readonly slot: number; readonly vmSize: number; readonly mappings: readonly TaskSpaceMappingState[] }[];
}

/** Thrown for a bad configuration (the embedder's mistake), never for guest input. */
export class TaskSpaceConfigError extends Error {
  override readonly name = 'TaskSpaceConfigError';
  constructor(
    /** The limit at fault (a key of TaskSpaceLimits). */
    readonly field: keyof TaskSpaceLimits,
    /** What is wrong with it, without its name. */
    readonly detail: string,
  ) {
    super(`${field} ${detail}`);
  }
}

interface Task {
  readonly id: number;
  readonly slot: number;
  readonly base: number;
  readonly vmSize: number;
  readonly map: IntervalMap<Mapping>;
  bytes: number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const hex = formatGuestValue;

/** A non-negative safe integer from a number or bigint; undefined for anything else. */
function toIndex(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v + 0 : undefined; // + 0: -0 → 0
  if (typeof v === 'bigint') return v >= 0n && v <= BigInt(MAX_SAFE) ? Number(v) : undefined;
  return undefined;
}

/**
 * The limits with defaults filled in, each checked (the VM's configuration checks them with this
 * before any thread starts; the device actor again).
 */
export function checkTaskSpaceLimits(given: Partial<TaskSpaceLimits>): TaskSpaceLimits {
  const l = { ...DEFAULT_TASK_SPACE_LIMITS, ...given };
  const int = (k: keyof TaskSpaceLimits, min: number, max: number): void => {
    const v = l[k];
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new TaskSpaceConfigError(k, `must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  };
  int('maxTasks', 1, 2 ** 24);
  int('maxTaskBytes', PAGE, TASK_SPACE_BYTES / 2);
  if (l.maxTaskBytes % PAGE !== 0) throw new TaskSpaceConfigError('maxTaskBytes', `must be a multiple of ${PAGE}`);
  int('maxTotalTaskBytes', PAGE, MAX_SAFE);
  int('maxMappingsPerTask', 1, 2 ** 30);
  int('maxTotalMappings', 1, 2 ** 30);
  int('maxRangesPerMap', 1, 2 ** 16);
  if ((l.maxTasks + 1) * slotBytesFor(l.maxTaskBytes) > TASK_SPACE_BYTES) {
    throw new TaskSpaceConfigError(
      'maxTasks',
      `does not fit: ${l.maxTasks} windows of ${hex(slotBytesFor(l.maxTaskBytes))} bytes (maxTaskBytes rounded up to a power of two) exceed the 2^52 task address space`,
    );
  }
  return Object.freeze(l);
}

/** Window slot size: maxTaskBytes rounded up to a power of two. */
function slotBytesFor(maxTaskBytes: number): number {
  return 2 ** Math.ceil(Math.log2(maxTaskBytes));
}

interface Cut {
  readonly start: number;
  readonly end: number;
  readonly removed: readonly Mapping[];
  readonly kept: readonly Mapping[];
}

/** The part [from, to) of a mapping, with its guest address and SAB offset moved along. */
function piece(m: Mapping, from: number, to: number): Mapping {
  const skip = from - m.va;
  return Object.freeze({ task: m.task, va: from, length: to - from, gpa: m.gpa + skip, sabOffset: m.sabOffset + skip, readOnly: m.readOnly });
}

export class TaskSpace {
  readonly limits: TaskSpaceLimits;
  /** Every window starts at a multiple of this; slot 0 is never used, so no base is 0. */
  readonly slotBytes: number;
  readonly #memory: GuestAddressMap;
  readonly #tasks = new Map<number, Task>();
  #nextId = 1;
  #nextSlot = 1;
  readonly #freeSlots: number[] = [];
  #mappings = 0;
  #bytes = 0;
  #windowBytes = 0;
  #created = 0;
  #destroyed = 0;
  readonly #errors: Record<TaskSpaceErrorCode, number>;
  readonly semantics: MapSemantics;

  constructor(memory: GuestAddressMap, limits: Partial<TaskSpaceLimits> = {}, semantics: MapSemantics = 'strict') {
    if (!MAP_SEMANTICS.includes(semantics)) throw new RangeError(`map semantics must be strict or framework, got ${JSON.stringify(semantics)}`);
    this.semantics = semantics;
    this.#memory = memory;
    this.limits = checkTaskSpaceLimits(limits);
    this.slotBytes = slotBytesFor(this.limits.maxTaskBytes);
    this.#errors = Object.fromEntries(TASK_SPACE_ERROR_CODES.map((c) => [c, 0])) as Record<TaskSpaceErrorCode, number>;
  }

  /** Reserves a window of vmSize bytes; returns the task id and the window's base. */
  createTask(vmSize: unknown): { ok: true; task: number; base: number } | Failure {
    const size = toIndex(vmSize);
    if (size === undefined || size === 0 || size % PAGE !== 0) {
      return this.#fail('bad-size', `vmSize ${hex(vmSize)} is not a positive multiple of 0x${PAGE.toString(16)} below 2^53`);
    }
    const l = this.limits;
    if (this.#tasks.size >= l.maxTasks) return this.#fail('too-many-tasks', `${this.#tasks.size} tasks are alive (maxTasks ${l.maxTasks})`);
    if (size > l.maxTaskBytes) return this.#fail('task-limit', `vmSize ${hex(size)} exceeds maxTaskBytes ${hex(l.maxTaskBytes)}`);
    if (size > l.maxTotalTaskBytes - this.#windowBytes) {
      return this.#fail(
        'task-limit',
        `vmSize ${hex(size)} would bring live windows to ${hex(this.#windowBytes + size)}, above maxTotalTaskBytes ${hex(l.maxTotalTaskBytes)}`,
      );
    }
    // Bump through never-used slots first, so a freed window is reused as late as possible.
    const slot = this.#freeSlots.length > 0 && this.#nextSlot * this.slotBytes >= TASK_SPACE_BYTES ? this.#freeSlots.pop()! : this.#nextSlot++;
    const id = this.#nextId++;
    const task: Task = { id, slot, base: slot * this.slotBytes, vmSize: size, map: new IntervalMap<Mapping>(), bytes: 0 };
    this.#tasks.set(id, task);
    this.#windowBytes += size;
    this.#created++;
    return { ok: true, task: id, base: task.base };
  }

  /** Releases the task's window and every mapping it holds. */
  destroyTask(taskId: unknown): { ok: true; mappings: number; bytes: number } | Failure {
    const task = this.#task(taskId);
    if (task === undefined) return this.#unknownTask(taskId);
    const mappings = task.map.size;
    const bytes = task.bytes;
    this.#tasks.delete(task.id);
    this.#freeSlots.push(task.slot);
    this.#mappings -= mappings;
    this.#bytes -= bytes;
    this.#windowBytes -= task.vmSize;
    this.#destroyed++;
    return { ok: true, mappings, bytes };
  }

  /**
   * Places the ranges one after another from virtualOffset in the task's window. All or
   * nothing: everything is validated before anything is inserted.
   */
  mapMemory(taskId: unknown, virtualOffset: unknown, readOnly: unknown, ranges: unknown): { ok: true; mappings: readonly Mapping[] } | Failure {
    const task = this.#task(taskId);
    if (task === undefined) return this.#unknownTask(taskId);
    if (typeof readOnly !== 'boolean') return this.#fail('bad-argument', `readOnly ${hex(readOnly)} is not a boolean`);
    if (!Array.isArray(ranges)) return this.#fail('bad-argument', `ranges ${hex(ranges)} is not an array`);
    const l = this.limits;
    if (ranges.length === 0) return this.#fail('bad-range', `task ${task.id}: mapMemory with no ranges`);
    if (ranges.length > l.maxRangesPerMap)
      return this.#fail('too-many-ranges', `task ${task.id}: ${ranges.length} ranges (maxRangesPerMap ${l.maxRangesPerMap})`);
    const vo = toIndex(virtualOffset);
    if (vo === undefined || vo % PAGE !== 0)
      return this.#fail('bad-range', `task ${task.id}: virtualOffset ${hex(virtualOffset)} is not a page-aligned offset`);
    const access = readOnly ? 'read' : 'write';
    const placed: { gpa: number; length: number; sabOffset: number }[] = [];
    let cursor = vo;
    for (let i = 0; i < ranges.length; i++) {
      const r: unknown = ranges[i];
      const at = `task ${task.id}: range ${i}`;
      if (typeof r !== 'object' || r === null) return this.#fail('bad-range', `${at} is not an object`);
      const { gpa: rawGpa, length: rawLength } = r as Record<string, unknown>;
      const gpa = toIndex(rawGpa);
      const length = toIndex(rawLength);
      if (gpa === undefined || gpa % PAGE !== 0) return this.#fail('bad-range', `${at}: gpa ${hex(rawGpa)} is not a page-aligned guest address`);
      if (length === undefined || length === 0 || length % PAGE !== 0) {
        return this.#fail('bad-range', `${at}: length ${hex(rawLength)} is not a positive multiple of 0x${PAGE.toString(16)}`);
      }
      const sabOffset = this.#memory.translateOffset(gpa, length, access);
      if (sabOffset < 0) {
        const t = this.#memory.translate(gpa, length, access);
        const why = t.ok ? '' : t.error.message;
        if (sabOffset === GuestMemoryErrno['read-only']) return this.#fail('read-only-region', `${at}: writable mapping of read-only memory (${why})`);
        return this.#fail('not-in-ram', `${at}: [${hex(gpa)}, +${hex(length)}) is not inside one guest RAM region (${why})`);
      }
      // cursor <= vmSize < 2^52 and length < 2^53, so the sum is exact or already far too big.
      if (cursor + length > task.vmSize) {
        return this.#fail('outside-window', `${at}: placement [${hex(cursor)}, ${hex(cursor + length)}) runs past the window size ${hex(task.vmSize)}`);
      }
      placed.push({ gpa, length, sabOffset });
      cursor += length;
    }
    const n = placed.length;
    const start = task.base + vo;
    const end = task.base + cursor;
    // Under framework semantics what the new mappings overlap is cut away first; its pieces
    // outside [start, end) stay, so the count may grow by one (a mapping split in two).
    const cut = this.semantics === 'framework' ? this.#planCut(task, start, end) : null;
    const delta = n + (cut ? cut.kept.length - cut.removed.length : 0);
    if (task.map.size + delta > l.maxMappingsPerTask) {
      return this.#fail('too-many-mappings', `task ${task.id}: ${task.map.size} + ${delta} mappings exceed maxMappingsPerTask ${l.maxMappingsPerTask}`);
    }
    if (this.#mappings + delta > l.maxTotalMappings) {
      return this.#fail('too-many-mappings', `${this.#mappings} + ${delta} mappings exceed maxTotalMappings ${l.maxTotalMappings}`);
    }
    if (cut === null && task.map.overlapsAny(start, end)) {
      const other = task.map.intersecting(start, end).next().value!.value;
      return this.#fail(
        'overlap',
        `task ${task.id}: [${hex(vo)}, ${hex(cursor)}) overlaps the mapping at offset ${hex(other.va - task.base)} (+${hex(other.length)})`,
      );
    }
    if (cut !== null) this.#applyCut(task, cut);
    const mappings: Mapping[] = [];
    let va = start;
    for (const p of placed) {
      const m: Mapping = Object.freeze({ task: task.id, va, length: p.length, gpa: p.gpa, sabOffset: p.sabOffset, readOnly });
      task.map.insert(va, va + p.length, m);
      mappings.push(m);
      va += p.length;
    }
    task.bytes += cursor - vo;
    this.#mappings += n;
    this.#bytes += cursor - vo;
    return { ok: true, mappings };
  }

  /**
   * Removes every mapping wholly inside [virtualOffset, virtualOffset + length). Strict: a range
   * that covers part of a mapping fails with 'cuts-mapping' and removes nothing; a range with no
   * mapping inside fails with 'nothing-mapped'. Framework: the range is cleared, mappings it
   * covers in part keep their parts outside it, and an empty range succeeds; `mappings` are the
   * pieces removed.
   */
  unmapMemory(taskId: unknown, virtualOffset: unknown, length: unknown): { ok: true; mappings: readonly Mapping[]; bytes: number } | Failure {
    const task = this.#task(taskId);
    if (task === undefined) return this.#unknownTask(taskId);
    const vo = toIndex(virtualOffset);
    const len = toIndex(length);
    if (vo === undefined || vo % PAGE !== 0)
      return this.#fail('bad-range', `task ${task.id}: virtualOffset ${hex(virtualOffset)} is not a page-aligned offset`);
    if (len === undefined || len === 0 || len % PAGE !== 0) {
      return this.#fail('bad-range', `task ${task.id}: length ${hex(length)} is not a positive multiple of 0x${PAGE.toString(16)}`);
    }
    if (len > task.vmSize - vo) {
      return this.#fail('outside-window', `task ${task.id}: [${hex(vo)}, +${hex(len)}) runs past the window size ${hex(task.vmSize)}`);
    }
    const start = task.base + vo;
    const end = start + len;
    if (this.semantics === 'framework') {
      const cut = this.#planCut(task, start, end);
      const delta = cut.kept.length - cut.removed.length;
      if (task.map.size + delta > this.limits.maxMappingsPerTask || this.#mappings + delta > this.limits.maxTotalMappings) {
        return this.#fail('too-many-mappings', `task ${task.id}: clearing [${hex(vo)}, ${hex(vo + len)}) would split a mapping past the mapping limits`);
      }
      return { ok: true, ...this.#applyCut(task, cut) };
    }
    const first = task.map.findContaining(start);
    const last = task.map.findContaining(end - 1);
    const cut = first !== undefined && first.start < start ? first : last !== undefined && last.end > end ? last : undefined;
    if (cut !== undefined) {
      return this.#fail(
        'cuts-mapping',
        `task ${task.id}: [${hex(vo)}, ${hex(vo + len)}) covers only part of the mapping [${hex(cut.start - task.base)}, ${hex(cut.end - task.base)})`,
      );
    }
    const removed = task.map.removeIntersecting(start, end);
    if (removed.length === 0) return this.#fail('nothing-mapped', `task ${task.id}: nothing mapped in [${hex(vo)}, ${hex(vo + len)})`);
    let bytes = 0;
    const mappings = removed.map((e) => {
      bytes += e.value.length;
      return e.value;
    });
    task.bytes -= bytes;
    this.#mappings -= mappings.length;
    this.#bytes -= bytes;
    return { ok: true, mappings, bytes };
  }

  /**
   * The SAB offset for [va, va + length) in the task address space (va = base + offset), which
   * must lie inside ONE mapping; writes need a writable mapping. A zero length is checked as a
   * one-byte access at va.
   */
  translate(taskId: unknown, va: unknown, length: unknown, access: unknown): { ok: true; offset: number; mapping: Mapping } | Failure {
    if (access !== 'read' && access !== 'write') return this.#fail('bad-argument', `access ${hex(access)} is neither 'read' nor 'write'`);
    const task = this.#task(taskId);
    if (task === undefined) return this.#unknownTask(taskId);
    const a = toIndex(va);
    const n = toIndex(length);
    if (a === undefined) return this.#fail('bad-range', `task ${task.id}: va ${hex(va)} is not a non-negative safe integer`);
    if (n === undefined) return this.#fail('bad-range', `task ${task.id}: length ${hex(length)} is not a non-negative safe integer`);
    if (a < task.base || a >= task.base + task.vmSize) {
      return this.#fail('outside-window', `task ${task.id}: va ${hex(a)} is outside its window [${hex(task.base)}, ${hex(task.base + task.vmSize)})`);
    }
    const e = task.map.findContaining(a);
    if (e === undefined) return this.#fail('not-mapped', `task ${task.id}: ${access} of ${hex(n)} bytes at va ${hex(a)}: not mapped`);
    // e.end < 2^53, so a sum past it is detected even when rounded.
    if (a + n > e.end) {
      return this.#fail('crosses-mapping', `task ${task.id}: ${access} of ${hex(n)} bytes at va ${hex(a)} runs past the mapping ending at ${hex(e.end)}`);
    }
    const m = e.value;
    if (access === 'write' && m.readOnly)
      return this.#fail('read-only-mapping', `task ${task.id}: write of ${hex(n)} bytes at va ${hex(a)}: mapping is read-only`);
    return { ok: true, offset: m.sabOffset + (a - m.va), mapping: m };
  }

  taskInfo(taskId: unknown): TaskInfo | undefined {
    const t = this.#task(taskId);
    return t && { task: t.id, base: t.base, vmSize: t.vmSize, mappings: t.map.size, bytesMapped: t.bytes };
  }

  /** Live task ids, in creation order. */
  taskIds(): number[] {
    return [...this.#tasks.keys()];
  }

  /** The task's mappings in address order (empty for an unknown task). */
  *mappingsOf(taskId: unknown): IterableIterator<Mapping> {
    const t = this.#task(taskId);
    if (t === undefined) return;
    for (const e of t.map.entries()) yield e.value;
  }

  /**
   * Destroys every task (device reset); error counters are kept. Task ids and window slots then
   * start over as in a new task space, so a guest after a reset sees the bases a fresh VM's sees.
   */
  clear(): void {
    for (const id of [...this.#tasks.keys()]) this.destroyTask(id);
    this.#nextId = 1;
    this.#nextSlot = 1;
    this.#freeSlots.length = 0;
  }

  /** Every task, window and counter that a restore needs (the error and lifetime counters are statistics, not state). */
  saveState(): TaskSpaceState {
    return {
      nextId: this.#nextId,
      nextSlot: this.#nextSlot,
      freeSlots: [...this.#freeSlots],
      tasks: [...this.#tasks.values()].map((t) => ({
        id: t.id,
        slot: t.slot,
        vmSize: t.vmSize,
        mappings: [...t.map.entries()].map((e) => ({ offset: e.value.va - t.base, length: e.value.length, gpa: e.value.gpa, readOnly: e.value.readOnly })),
      })),
    };
  }

  /**
   * Takes a saved state into a task space no task was ever created in. The state must have
   * passed checkTaskSpaceState() against this space's memory and limits (task-space-snapshot.ts);
   * a range that does not translate after all throws and nothing is installed.
   */
  loadState(state: TaskSpaceState): void {
    if (this.#nextId !== 1 || this.#tasks.size !== 0) throw new Error('loadState: only into a new task space');
    const tasks: Task[] = [];
    let mappings = 0;
    let bytes = 0;
    let windowBytes = 0;
    for (const t of state.tasks) {
      const task: Task = { id: t.id, slot: t.slot, base: t.slot * this.slotBytes, vmSize: t.vmSize, map: new IntervalMap<Mapping>(), bytes: 0 };
      for (const m of t.mappings) {
        const sabOffset = this.#memory.translateOffset(m.gpa, m.length, m.readOnly ? 'read' : 'write');
        if (sabOffset < 0) throw new Error(`loadState: task ${t.id} maps [${hex(m.gpa)}, +${hex(m.length)}), not guest memory`);
        const va = task.base + m.offset;
        task.map.insert(va, va + m.length, Object.freeze({ task: t.id, va, length: m.length, gpa: m.gpa, sabOffset, readOnly: m.readOnly }));
        task.bytes += m.length;
      }
      tasks.push(task);
      mappings += task.map.size;
      bytes += task.bytes;
      windowBytes += t.vmSize;
    }
    for (const task of tasks) this.#tasks.set(task.id, task);
    this.#nextId = state.nextId;
    this.#nextSlot = state.nextSlot;
    this.#freeSlots.push(...state.freeSlots);
    this.#mappings = mappings;
    this.#bytes = bytes;
    this.#windowBytes = windowBytes;
  }

  stats(): TaskSpaceStats {
    return {
      tasks: this.#tasks.size,
      mappings: this.#mappings,
      bytesMapped: this.#bytes,
      windowBytes: this.#windowBytes,
      tasksCreated: this.#created,
      tasksDestroyed: this.#destroyed,
      errors: { ...this.#errors },
    };
  }

  /** The mappings intersecting [start, end), and the pieces of them outside it that stay. */
  #planCut(task: Task, start: number, end: number): Cut {
    const removed: Mapping[] = [];
    const kept: Mapping[] = [];
    for (const e of task.map.intersecting(start, end)) {
      const m = e.value;
      removed.push(m);
      if (m.va < start) kept.push(piece(m, m.va, start));
      if (m.va + m.length > end) kept.push(piece(m, end, m.va + m.length));
    }
    return { start, end, removed, kept };
  }

  /** Carries out a planned cut; returns the parts removed (those inside the range) and their bytes. */
  #applyCut(task: Task, cut: Cut): { mappings: Mapping[]; bytes: number } {
    for (const m of cut.removed) task.map.remove(m.va, m.va + m.length);
    for (const k of cut.kept) task.map.insert(k.va, k.va + k.length, k);
    const mappings = cut.removed.map((m) => piece(m, Math.max(m.va, cut.start), Math.min(m.va + m.length, cut.end)));
    const bytes = mappings.reduce((sum, m) => sum + m.length, 0);
    task.bytes -= bytes;
    this.#bytes -= bytes;
    this.#mappings += cut.kept.length - cut.removed.length;
    return { mappings, bytes };
  }

  #task(id: unknown): Task | undefined {
    const n = toIndex(id);
    return n === undefined ? undefined : this.#tasks.get(n);
  }

  #unknownTask(id: unknown): Failure {
    return this.#fail('unknown-task', `task ${hex(id)} is not a live task`);
  }

  #fail(code: TaskSpaceErrorCode, message: string): Failure {
    this.#errors[code]++;
    return { ok: false, error: { code, message } };
  }
}
