// Every generated unit, and the C guest's header (which takes the guest-facing parts of two).
import { compositorRecords } from './compositor-records.js';
import { deviceRecords } from './device-records.js';
import { flowIds } from './flow-ids.js';
import { irqRecords } from './irq-records.js';
import { machine } from './machine.js';
import { completionLayout, mailboxLayout, replyLayout, surfaceLayout, traceLayout, vcpuIrqLayout } from './layouts.js';
import { protocol } from './protocol.js';
import { records } from './records.js';
import { traceEvents } from './trace-events.js';
import type { Unit } from './types.js';
import { inputRecords, virtio } from './virtio.js';

export const units: readonly Unit[] = [
  protocol,
  machine,
  records,
  mailboxLayout,
  replyLayout,
  traceLayout,
  traceEvents,
  surfaceLayout,
  completionLayout,
  vcpuIrqLayout,
  flowIds,
  compositorRecords,
  irqRecords,
  virtio,
  inputRecords,
  deviceRecords,
];

/** The C guest (native/guest) gets every constant and enum of these units that has a C name. */
export const guestHeader = {
  path: 'native/guest/protocol.h',
  guard: 'PVG_GUEST_PROTOCOL_H',
  doc: 'docs/protocol.md and the machine (memory map, vectors, PCI config space) as the C guest sees them.',
  units: [protocol, machine, virtio],
  /** Lines after the defines: the command header packing (op in the low 16 bits, words in the high). */
  extra: ['#define PVG_COMMAND_HEADER(op, words) ((uint32_t)(op) | ((uint32_t)(words) << 16))'],
};
