// Trace event ids, generated from abi/schema/trace-events.ts (abi/generated/trace-events.ts) and
// shared with native/src/abi/trace_events.h. Names follow QEMU's apple_gfx_* trace events where
// they correspond. Append only: ids are part of the SAB format.
import { TRACE_EVENTS } from '../../abi/generated/trace-events.js';

export { TRACE_EVENTS };

export type TraceEventName = keyof typeof TRACE_EVENTS;

/**
 * What each event's three argument words mean, by position: the names the timeline shows
 * (toChromeTrace). Every thread that writes an event writes these values in this order (JS
 * actors and engine threads alike), so one name means one thing on every track; a thread that
 * does not know a value writes NaN and the timeline leaves that argument out. Counters (a value
 * and a series) and flow events (an id) have their own shape and no entry here.
 */
export const TRACE_ARGS: Readonly<Record<Exclude<TraceEventName, 'mailbox_depth' | 'frames_pending' | 'request'>, readonly string[]>> = {
  // MMIO: the offset in the device's window; the value read (once answered) or written.
  apple_gfx_read: ['offset', 'value'],
  apple_gfx_write: ['offset', 'value'],
  apple_iosfc_read: ['offset', 'value'],
  apple_iosfc_write: ['offset', 'value'],
  // Engine callbacks (a span while the engine thread waits, and while the device actor answers):
  // the callback's first argument, then the answer's status (the engine thread's side only).
  apple_gfx_create_task: ['vm_size_low32', 'status'],
  apple_gfx_destroy_task: ['task', 'status'],
  apple_gfx_map_memory: ['task', 'status'],
  apple_gfx_unmap_memory: ['task', 'status'],
  apple_gfx_read_memory: ['gpa_low32', 'status'],
  apple_gfx_cursor_set: ['display', 'status'],
  apple_iosfc_map_memory: ['surface', 'status'],
  apple_iosfc_unmap_memory: ['surface', 'status'],
  // Engine notifications, as posted and as the device actor takes them.
  apple_gfx_raise_irq: ['vector'],
  apple_iosfc_raise_irq: ['vector'],
  apple_gfx_new_frame: ['display', 'frame_seq'],
  apple_gfx_mode_change: ['display', 'width', 'height'],
  apple_gfx_cursor_show: ['display', 'show'],
  apple_gfx_cursor_move: ['display', 'x', 'y'],
  engine_command: ['opcode', 'words'],
  engine_error: ['code'],
  engine_encode: ['display', 'status', 'damage_rects'],
  compositor_encode_done: ['device', 'display', 'frame_seq'],
  // Interrupts: source is the line, or -1 for an MSI; target is the vCPU, or -1 (invalid
  // message) / -2 (no such vCPU) (actors/irq/controller.ts).
  irq_deliver: ['vcpu', 'vector', 'source'],
  irq_msi: ['address', 'data', 'target'],
  irq_eoi: ['vcpu', 'vector', 'redelivered'],
  // A record kind the device actor handled without an event of its own.
  mailbox_handle: ['kind'],
  mailbox_park: [],
  mailbox_producer_wait: [],
  reply_wait: [],
  lock_wait: [],
  // The qemu threading model (docs/threading-models.md): the BQL held by a vCPU across an MMIO
  // access, its AIO_WAIT_WHILE, a bottom half it lends the lock to (1: lent by a waiting vCPU),
  // the task mutex, and the console's refresh tick with the frames it showed.
  bql_hold: ['vcpu'],
  aio_wait: ['vcpu'],
  aio_poll_bh: ['vcpu'],
  bh: ['lent'],
  task_mutex_wait: [],
  refresh: ['frames_shown'],
  // A paced display (VmOptions.pacing): a present waiting on the engine's executor for its
  // display's refresh tick, and the tick it went out on (ticks passed with no frame: skipped).
  vblank_wait: ['display', 'tick'],
  vblank: ['display', 'tick', 'skipped'],
  // The vulkan backend (docs/vulkan.md), on the executor's track: a display's commands going to
  // the GPU queue (with the staged source bytes they read), and the executor waiting for a drawing
  // command buffer to come back from the GPU; on the gpu track, pvg-gpu waiting for a fence.
  gpu_submit: ['display', 'staged_bytes'],
  gpu_fence_wait: ['display'],
  // On the engine's gpu track (the pvg-gpu thread, docs/vulkan.md): an asynchronous readback from
  // its submit until its fence was seen signalled; inside it, its commands running on the GPU (their
  // timestamps on the trace's clock, where the queue writes them); then the encode's completion
  // (the copy into the surface and the answer).
  gpu_readback: ['display', 'bytes'],
  // A drawing submit (a present's, or one made when the staging buffer filled or before a
  // readback) from its vkQueueSubmit until its fence was seen signalled; gpu_exec inside it.
  gpu_draw: ['display', 'staged_bytes'],
  gpu_exec: ['display', 'bytes'],
  encode_complete: ['display', 'status', 'damage_rects'],
  actor_control: [],
  test_event: ['producer', 'seq', 'value'],
};

/** The argument names of an event id (none for an id this table does not know). */
export function traceArgNames(id: number): readonly string[] {
  const name = namesById.get(id);
  return (name && (TRACE_ARGS as Record<string, readonly string[]>)[name]) || [];
}

const namesById = new Map<number, TraceEventName>(Object.entries(TRACE_EVENTS).map(([name, id]) => [id, name as TraceEventName]));

export function traceEventName(id: number): string {
  return namesById.get(id) ?? `event_${id}`;
}
