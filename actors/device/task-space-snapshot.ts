// The device actor's task space in a snapshot: its tasks (id, window slot, size), their mappings
// (offset in the window, guest address, length, read-only) and the id and slot counters, so that
// a restored device hands out the same ids and window bases an uninterrupted one would. The
// bytes are a file's: decodeTaskSpaceState checks every field against the task space's limits
// and guest memory (the rules createTask and mapMemory keep) and refuses the first problem with
// StateFormatError; nothing is built from a state that did not pass.
//
// Layout (little-endian): magic 'TSKS', version u32, nextId u64, nextSlot u64, free-slot count
// u32 and the slots (u64 each), task count u32, then per task: id u64, slot u64, vmSize u64,
// mapping count u32, then per mapping: offset u64, length u64, gpa u64, read-only u32 (0/1).
import type { GuestAddressMap } from '../../shared/guest-memory/index.js';
import { StateReader, StateWriter } from '../../shared/snapshot/state-bytes.js';
import { PAGE, TASK_SPACE_BYTES, type TaskSpace, type TaskSpaceMappingState, type TaskSpaceState } from './task-space.js';

const MAGIC = 0x534b5354; // 'TSKS'
const VERSION = 1;

export function encodeTaskSpaceState(state: TaskSpaceState): Uint8Array {
  const w = new StateWriter().u32(MAGIC).u32(VERSION).u64(state.nextId).u64(state.nextSlot).u32(state.freeSlots.length);
  for (const s of state.freeSlots) w.u64(s);
  w.u32(state.tasks.length);
  for (const t of state.tasks) {
    w.u64(t.id).u64(t.slot).u64(t.vmSize).u32(t.mappings.length);
    for (const m of t.mappings)
      w.u64(m.offset)
        .u64(m.length)
        .u64(m.gpa)
        .u32(m.readOnly ? 1 : 0);
  }
  return w.finish();
}

/** The task space's state as bytes. */
export function saveTaskSpace(space: TaskSpace): Uint8Array {
  return encodeTaskSpaceState(space.saveState());
}

/** Checks `bytes` against the space's limits and guest memory, then loads them into the (new) space. */
export function loadTaskSpace(space: TaskSpace, memory: GuestAddressMap, bytes: Uint8Array, component = 'task space'): void {
  space.loadState(decodeTaskSpaceState(bytes, space, memory, component));
}

/** The state in `bytes`, every field checked; throws StateFormatError naming the first problem. */
export function decodeTaskSpaceState(
  bytes: Uint8Array,
  space: Pick<TaskSpace, 'limits' | 'slotBytes'>,
  memory: GuestAddressMap,
  component = 'task space',
): TaskSpaceState {
  const r = new StateReader(bytes, component);
  r.header(MAGIC, VERSION);
  const l = space.limits;
  const slots = TASK_SPACE_BYTES / space.slotBytes; // slots 1 .. slots - 1 exist
  r.at('counters');
  const nextId = r.u64();
  const nextSlot = r.u64();
  if (nextId < 1) r.fail(`next id ${nextId}`);
  if (nextSlot < 1 || nextSlot > slots) r.fail(`next slot ${nextSlot} outside [1, ${slots}]`);
  const used = new Set<number>();
  const useSlot = (slot: number, what: string): void => {
    if (slot < 1 || slot >= nextSlot) r.fail(`${what} slot ${slot} was never handed out (next ${nextSlot})`);
    if (used.has(slot)) r.fail(`${what} slot ${slot} twice`);
    used.add(slot);
  };
  r.at('free slots');
  const freeSlots: number[] = [];
  const freeCount = r.count('free slots', 8, nextSlot - 1);
  for (let i = 0; i < freeCount; i++) {
    const s = r.u64();
    useSlot(s, 'free');
    freeSlots.push(s);
  }
  r.at('tasks');
  const taskCount = r.count('tasks', 28, l.maxTasks);
  if (freeCount + taskCount !== nextSlot - 1) r.fail(`${taskCount} tasks and ${freeCount} free slots for ${nextSlot - 1} slots handed out`);
  const tasks: TaskSpaceState['tasks'][number][] = [];
  let lastId = 0;
  let windowBytes = 0;
  let totalMappings = 0;
  for (let i = 0; i < taskCount; i++) {
    r.at(`task ${i}`);
    const id = r.u64();
    const slot = r.u64();
    const vmSize = r.u64();
    if (id <= lastId || id >= nextId) r.fail(`id ${id} out of order or never handed out (next ${nextId})`);
    lastId = id;
    useSlot(slot, 'task');
    if (vmSize === 0 || vmSize % PAGE !== 0 || vmSize > l.maxTaskBytes) r.fail(`vmSize ${vmSize} is not a page multiple up to maxTaskBytes`);
    windowBytes += vmSize;
    if (windowBytes > l.maxTotalTaskBytes) r.fail('live windows exceed maxTotalTaskBytes');
    r.at(`task ${id} mappings`);
    const n = r.count('mappings', 28, l.maxMappingsPerTask);
    totalMappings += n;
    if (totalMappings > l.maxTotalMappings) r.fail('mappings exceed maxTotalMappings');
    const mappings: TaskSpaceMappingState[] = [];
    let end = 0;
    for (let k = 0; k < n; k++) {
      const offset = r.u64();
      const length = r.u64();
      const gpa = r.u64();
      const readOnly = r.flag('read-only');
      const at = `mapping ${k} at offset 0x${offset.toString(16)}`;
      if (offset % PAGE !== 0 || length === 0 || length % PAGE !== 0 || gpa % PAGE !== 0) r.fail(`${at}: not page-aligned, or empty`);
      if (offset < end) r.fail(`${at}: overlaps the one before, or out of order`);
      if (offset + length > vmSize) r.fail(`${at}: runs past the window (${vmSize} bytes)`);
      if (memory.translateOffset(gpa, length, readOnly ? 'read' : 'write') < 0)
        r.fail(`${at}: [0x${gpa.toString(16)}, +0x${length.toString(16)}) is not guest RAM it may map`);
      end = offset + length;
      mappings.push({ offset, length, gpa, readOnly });
    }
    tasks.push({ id, slot, vmSize, mappings });
  }
  r.end();
  return { nextId, nextSlot, freeSlots, tasks };
}
