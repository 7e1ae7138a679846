// Trace event ids shared with native/src/core/trace_events.h. Names follow QEMU's apple_gfx_*
// trace events where they correspond. Append only: ids are part of the SAB format.
export const TRACE_EVENTS = {
  apple_gfx_read: 1,
  apple_gfx_write: 2,
  apple_gfx_create_task: 3,
  apple_gfx_destroy_task: 4,
  apple_gfx_map_memory: 5,
  apple_gfx_unmap_memory: 6,
  apple_gfx_read_memory: 7,
  apple_gfx_raise_irq: 8,
  apple_gfx_new_frame: 9,
  apple_gfx_mode_change: 10,
  apple_gfx_cursor_set: 11,
  apple_gfx_cursor_show: 12,
  apple_gfx_cursor_move: 13,
  apple_iosfc_read: 14,
  apple_iosfc_write: 15,
  apple_iosfc_map_memory: 16,
  apple_iosfc_unmap_memory: 17,
  apple_iosfc_raise_irq: 18,
  mailbox_handle: 32,
  mailbox_park: 33,
  mailbox_producer_wait: 34,
  mailbox_depth: 35,
  reply_wait: 36,
  request: 37,
  lock_wait: 38,
  actor_control: 39,
  test_event: 63,
  irq_deliver: 40,
  irq_msi: 41,
  irq_eoi: 42,
  engine_command: 43,
  engine_error: 44,
  engine_encode: 45,
  compositor_encode_done: 46,
  frames_pending: 47,
  bql_hold: 48,
  aio_wait: 49,
  aio_poll_bh: 50,
  bh: 51,
  task_mutex_wait: 52,
  refresh: 53,
} as const;

export type TraceEventName = keyof typeof TRACE_EVENTS;

const namesById = new Map<number, TraceEventName>(Object.entries(TRACE_EVENTS).map(([name, id]) => [id, name as TraceEventName]));

export function traceEventName(id: number): string {
  return namesById.get(id) ?? `event_${id}`;
}
