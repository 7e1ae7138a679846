// Trace event ids: the JS actors and the engine threads write them into the same rings. Names
// follow QEMU's apple_gfx_* trace events where they correspond. Append only: ids are part of the
// SAB format (a trace file written by one build is read by another).
import type { Unit } from './types.js';

const m = (name: string, value: number) => ({ name, value });

export const traceEvents: Unit = {
  name: 'trace-events',
  doc: 'Trace event ids shared by every thread that writes a trace ring (append only: ids are part of the SAB format).',
  ts: 'abi/generated/trace-events.ts',
  cpp: { path: 'native/src/abi/trace_events.h', namespace: 'pvg::trace' },
  enums: [
    {
      ts: 'TRACE_EVENTS',
      tsObject: true,
      cpp: { enum: 'Event', prefix: '', type: 'uint16_t', scoped: true },
      members: [
        m('apple_gfx_read', 1),
        m('apple_gfx_write', 2),
        m('apple_gfx_create_task', 3),
        m('apple_gfx_destroy_task', 4),
        m('apple_gfx_map_memory', 5),
        m('apple_gfx_unmap_memory', 6),
        m('apple_gfx_read_memory', 7),
        m('apple_gfx_raise_irq', 8),
        m('apple_gfx_new_frame', 9),
        m('apple_gfx_mode_change', 10),
        m('apple_gfx_cursor_set', 11),
        m('apple_gfx_cursor_show', 12),
        m('apple_gfx_cursor_move', 13),
        m('apple_iosfc_read', 14),
        m('apple_iosfc_write', 15),
        m('apple_iosfc_map_memory', 16),
        m('apple_iosfc_unmap_memory', 17),
        m('apple_iosfc_raise_irq', 18),
        m('mailbox_handle', 32),
        m('mailbox_park', 33),
        m('mailbox_producer_wait', 34),
        m('mailbox_depth', 35),
        m('reply_wait', 36),
        m('request', 37),
        m('lock_wait', 38),
        m('actor_control', 39),
        m('test_event', 63),
        m('irq_deliver', 40),
        m('irq_msi', 41),
        m('irq_eoi', 42),
        m('engine_command', 43),
        m('engine_error', 44),
        m('engine_encode', 45),
        m('compositor_encode_done', 46),
        m('frames_pending', 47),
        m('bql_hold', 48),
        m('aio_wait', 49),
        m('aio_poll_bh', 50),
        m('bh', 51),
        m('task_mutex_wait', 52),
        m('refresh', 53),
      ],
    },
  ],
};
