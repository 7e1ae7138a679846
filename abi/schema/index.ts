// Every generated unit, and the C guest's header (which takes the guest-facing parts of two).
import { bindingStrings } from './binding-strings.js';
import { compositorRecords } from './compositor-records.js';
import { deviceRecords } from './device-records.js';
import { flowIds } from './flow-ids.js';
import { irqRecords } from './irq-records.js';
import { kvmBoot } from './kvm-boot.js';
import { kvmExits } from './kvm-exits.js';
import { machine } from './machine.js';
import { completionLayout, interruptTableLayout, irqRouteLayout, mailboxLayout, replyLayout, surfaceLayout, traceLayout, vcpuIrqLayout } from './layouts.js';
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
  interruptTableLayout,
  irqRouteLayout,
  flowIds,
  compositorRecords,
  irqRecords,
  virtio,
  inputRecords,
  deviceRecords,
  kvmBoot,
  kvmExits,
  bindingStrings,
];

/** The C guest (guest/c) gets every constant and enum of these units that has a C name. */
export const guestHeaders = [
  {
    path: 'guest/c/protocol.h',
    guard: 'PVG_GUEST_PROTOCOL_H',
    doc: 'docs/protocol.md and the machine (memory map, vectors, PCI config space) as the C guest sees them.',
    units: [protocol, machine, virtio],
    /** Lines after the defines: the command header packing (op in the low 16 bits, words in the high). */
    extra: ['#define PVG_COMMAND_HEADER(op, words) ((uint32_t)(op) | ((uint32_t)(words) << 16))'],
  },
  {
    path: 'guest/c/boot_abi.h',
    guard: 'PVG_GUEST_BOOT_ABI_H',
    doc: 'The boot contract between the KVM backend and the guest: the host loads the image read-only at PVG_IMAGE_BASE, fills a boot block per vCPU and enters _start in long mode with RDI = GS base = the block. C and C++.',
    units: [kvmBoot],
    preamble: [
      '#ifdef __cplusplus',
      '#include <cstddef>',
      '#include <cstdint>',
      '#define PVG_STATIC_ASSERT(c, m) static_assert(c, m)',
      '#else',
      '#include <stddef.h>',
      '#include <stdint.h>',
      '#define PVG_STATIC_ASSERT(c, m) _Static_assert(c, m)',
      '#endif',
    ],
    extra: [],
  },
];
