// The engine's callbacks as the device actor answers them (PGDeviceDescriptor's blocks and the
// IOSurface mapper's). Every guest-derived number was already checked by the engine and is
// checked again here against the task space and guest RAM; a refusal is an answer, never a throw.
// The engine makes these from several pool threads at once (its task lanes, docs/protocol.md §2
// "Ordering"); they reach this actor as records in its one mailbox and are handled one at a time,
// so the task space needs no lock: its owner serialises them (docs/design.md rules 1 and 2).
import type { GuestMemory } from '../../shared/guest-memory/index.js';
import { ReplyErrorCode } from '../../shared/reply/errors.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import type { ReplyTable } from '../../shared/reply/reply-table.js';
import {
  EngineOut,
  OutCallback,
  OutCreateTask,
  OutCursorGlyph,
  OutDestroyTask,
  OutIosfcMap,
  OutIosfcUnmap,
  OutMapMemory,
  OutReadMemory,
  OutUnmapMemory,
} from './engine-records.js';
import type { TaskSpace } from './task-space.js';

/** A u64 from its halves, exactly. */
const u64 = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

const NAMES: Record<number, string> = {
  [EngineOut.CreateTask]: 'createTask',
  [EngineOut.DestroyTask]: 'destroyTask',
  [EngineOut.MapMemory]: 'mapMemory',
  [EngineOut.UnmapMemory]: 'unmapMemory',
  [EngineOut.ReadMemory]: 'readMemory',
  [EngineOut.IosfcMap]: 'iosfcMapMemory',
  [EngineOut.IosfcUnmap]: 'iosfcUnmapMemory',
};

/** The trace event of each callback kind (QEMU's apple_gfx_* names, as the engine's side uses). */
export const CALLBACK_TRACE_EVENTS: Record<number, number> = {
  [EngineOut.CreateTask]: TRACE_EVENTS.apple_gfx_create_task,
  [EngineOut.DestroyTask]: TRACE_EVENTS.apple_gfx_destroy_task,
  [EngineOut.MapMemory]: TRACE_EVENTS.apple_gfx_map_memory,
  [EngineOut.UnmapMemory]: TRACE_EVENTS.apple_gfx_unmap_memory,
  [EngineOut.ReadMemory]: TRACE_EVENTS.apple_gfx_read_memory,
  [EngineOut.CursorGlyph]: TRACE_EVENTS.apple_gfx_cursor_set,
  [EngineOut.IosfcMap]: TRACE_EVENTS.apple_iosfc_map_memory,
  [EngineOut.IosfcUnmap]: TRACE_EVENTS.apple_iosfc_unmap_memory,
};

/** Each callback's trace argument: its first field after the call prefix (a u64's low word), as the engine thread's span has it. */
export const CALLBACK_TRACE_ARGS: Record<number, (a: Int32Array) => number> = {
  [EngineOut.CreateTask]: OutCreateTask.vmSizeLo,
  [EngineOut.DestroyTask]: OutDestroyTask.task,
  [EngineOut.MapMemory]: OutMapMemory.task,
  [EngineOut.UnmapMemory]: OutUnmapMemory.task,
  [EngineOut.ReadMemory]: OutReadMemory.gpaLo,
  [EngineOut.CursorGlyph]: OutCursorGlyph.display,
  [EngineOut.IosfcMap]: OutIosfcMap.surface,
  [EngineOut.IosfcUnmap]: OutIosfcUnmap.surface,
};

export class EngineCallbacks {
  readonly counts: Record<string, number> = {};
  readonly refusals: Record<string, number> = {};
  /** IOSurface number → the guest range it maps (bookkeeping: unmap must match a map). */
  private readonly surfaces = new Map<number, { gpa: number; length: number }>();

  constructor(
    private readonly tasks: TaskSpace,
    private readonly memory: GuestMemory,
    private readonly replies: ReplyTable,
  ) {}

  /** Handles one callback record; false if the kind is not a callback that answers. */
  handle(kind: number, a: Int32Array): boolean {
    const name = NAMES[kind];
    if (name === undefined) return false;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    const slot = OutCallback.slot(a);
    const id = OutCallback.id(a);
    const refuse = (why: string) => {
      this.refusals[why] = (this.refusals[why] ?? 0) + 1;
      this.replies.fail(slot, id, ReplyErrorCode.Refused);
    };
    if (slot >= this.replies.slots) {
      this.refusals['bad-slot'] = (this.refusals['bad-slot'] ?? 0) + 1;
      return true;
    }
    switch (kind) {
      case EngineOut.CreateTask: {
        const r = this.tasks.createTask(OutCreateTask.vmSize(a));
        if (!r.ok) return (refuse(r.error.code), true);
        this.replies.reply(slot, id, r.task, r.base >>> 0, Math.floor(r.base / 0x1_0000_0000));
        return true;
      }
      case EngineOut.DestroyTask: {
        const r = this.tasks.destroyTask(OutDestroyTask.task(a));
        if (!r.ok) return (refuse(r.error.code), true);
        this.replies.reply(slot, id);
        return true;
      }
      case EngineOut.MapMemory: {
        if (OutMapMemory.payloadBytes(a) > this.replies.payloadBytes) return (refuse('too-many-ranges'), true);
        const payload = this.replies.payloadWords(slot);
        const { range } = OutMapMemory;
        const ranges = [];
        // Exact from the halves (bigint), so a refusal names the very address the guest gave.
        for (let i = 0; i < OutMapMemory.payloadElements(a); i++) {
          ranges.push({ gpa: u64(range.gpaLo(payload, i), range.gpaHi(payload, i)), length: u64(range.lengthLo(payload, i), range.lengthHi(payload, i)) });
        }
        const r = this.tasks.mapMemory(OutMapMemory.task(a), OutMapMemory.va(a), OutMapMemory.readOnly(a), ranges);
        if (!r.ok) return (refuse(r.error.code), true);
        this.replies.reply(slot, id);
        return true;
      }
      case EngineOut.UnmapMemory: {
        const r = this.tasks.unmapMemory(OutUnmapMemory.task(a), OutUnmapMemory.va(a), OutUnmapMemory.length(a));
        if (!r.ok) return (refuse(r.error.code), true);
        this.replies.reply(slot, id);
        return true;
      }
      case EngineOut.ReadMemory: {
        const length = OutReadMemory.length(a);
        const payload = this.replies.payload(slot);
        if (length > payload.length) return (refuse('too-long'), true);
        const t = this.memory.translate(OutReadMemory.gpa(a), length, 'read');
        if (!t.ok) return (refuse(t.error.code), true);
        payload.set(this.memory.bytes.subarray(t.offset, t.offset + length));
        this.replies.reply(slot, id);
        return true;
      }
      case EngineOut.IosfcMap: {
        const surface = OutIosfcMap.surface(a);
        const gpa = OutIosfcMap.gpa(a);
        const length = OutIosfcMap.length(a);
        const t = this.memory.translate(gpa, length, OutIosfcMap.readOnly(a) ? 'read' : 'write');
        if (!t.ok) return (refuse(t.error.code), true);
        if (this.surfaces.has(surface)) return (refuse('surface-mapped'), true);
        this.surfaces.set(surface, { gpa, length });
        this.replies.reply(slot, id);
        return true;
      }
      case EngineOut.IosfcUnmap: {
        if (!this.surfaces.delete(OutIosfcUnmap.surface(a))) return (refuse('surface-not-mapped'), true);
        this.replies.reply(slot, id);
        return true;
      }
    }
    return false;
  }

  mappedSurfaces(): number {
    return this.surfaces.size;
  }
}
