// The boot contract between the KVM backend (actors/vcpu/kvm/, vmm/kvm-machine.ts) and the
// freestanding machine-code guest (guest/c, pvg-guest.elf): where the image is loaded, the
// boot block the host fills per vCPU and the guest writes its progress into, and the
// hypercalls. The host enters _start in long mode with RDI = GS base = the block's address.
import type { ByteStruct, Constant, EnumDef, Unit } from './types.js';

const hex = (digits: number) => ({ hex: digits });

/** The FAIL hypercall's message buffer in the boot block. */
const FAIL_MESSAGE_BYTES = 128;

const constants: Constant[] = [
  { ts: 'ROM_BASE', c: 'PVG_IMAGE_BASE', value: 0x0100_0000, radix: hex(8), doc: 'The guest image is loaded read-only here (a KVM read-only memory slot).' },
  { ts: 'ROM_BYTES', c: 'PVG_IMAGE_MAX_BYTES', value: 0x10_0000, radix: hex(6), doc: "The image's loaded span fits in 1 MiB." },
  { c: 'PVG_STACK_BYTES', value: 0x8000, radix: hex(4), doc: 'RSP = top of this much stack, 16-byte aligned.' },
  { ts: 'BOOT_MAGIC', c: 'PVG_BOOT_MAGIC', value: 0x4247_5650, radix: hex(8), doc: "'PVGB'" },
  { ts: 'BOOT_ABI_VERSION', c: 'PVG_BOOT_ABI_VERSION', value: 4 },
  { ts: 'NO_INPUT', c: 'PVG_NO_INPUT', value: 0xffff_ffff, radix: hex(8), doc: 'inputBinding when the guest has no keyboard and tablet.' },
  { c: 'PVG_FAIL_MESSAGE_BYTES', value: FAIL_MESSAGE_BYTES },
  {
    ts: 'HYPERCALL_BASE',
    c: 'PVG_HYPERCALL_BASE',
    value: 0x3000_0000,
    radix: hex(8),
    doc: 'Hypercalls: 32-bit MMIO writes into a window no device decodes, answered by the vCPU itself. MMIO rather than port I/O: the program runs in ring 3, where port I/O faults (docs/kvm.md).',
  },
  { ts: 'HYPERCALL_BYTES', value: 0x1000, radix: hex(4) },
  { c: 'PVG_TEST_UNASSIGNED_ADDRESS', value: 0x1000, radix: hex(4), doc: 'The unassignedMmio test mode reads and writes here.' },
  { c: 'PVG_TEST_UNASSIGNED_ACCESSES', value: 1000 },
];

const enums: EnumDef[] = [
  {
    ts: 'KvmVariant',
    tsObject: true,
    c: 'PVG_VARIANT_',
    doc: 'The device variant the guest drives.',
    members: [
      { name: 'mmio', value: 0, doc: 'apple-gfx-mmio' },
      { name: 'pci', value: 1, doc: 'apple-gfx-pci' },
    ],
  },
  {
    ts: 'KvmInputTransport',
    tsObject: true,
    c: 'PVG_INPUT_TRANSPORT_',
    doc: "The keyboard's and tablet's transport: virtio-mmio windows, or modern virtio-pci functions taken through MSI-X.",
    members: [
      { name: 'mmio', value: 0 },
      { name: 'pci', value: 1 },
    ],
  },
  {
    ts: 'KvmWorkload',
    tsObject: true,
    c: 'PVG_WORKLOAD_',
    doc: 'Workloads the machine-code guest implements, by the number it knows them by; mmioread is a benchmark program (MARK 1, `frames` reads of STATUS, MARK 2, `frames` reads of unassigned space, MARK 3, DONE).',
    members: [
      { name: 'desktop', value: 0 },
      { name: 'fullframe', value: 1 },
      { name: 'hostile', value: 2 },
      { name: 'mmioread', value: 3 },
      { name: 'paint', value: 4, doc: 'draws with the virtio-input tablet and types with the keyboard (needs inputBinding)' },
    ],
  },
  {
    ts: 'GuestState',
    c: 'PVG_STATE_',
    doc: 'Written by the guest.',
    members: [
      { name: 'Booting', value: 0 },
      { name: 'Running', value: 1, doc: 'The device is set up: the interrupt handler may touch it.' },
      { name: 'Done', value: 2 },
      { name: 'Failed', value: 3 },
    ],
  },
  {
    ts: 'KvmTestMode',
    tsObject: true,
    c: 'PVG_TEST_',
    doc: "Misbehaviours the guest acts out on request (tests of the host's reports).",
    members: [
      { name: 'none', value: 0 },
      { name: 'tripleFault', value: 1, doc: 'lidt with limit 0, then ud2' },
      { name: 'runawayLoop', value: 2, doc: 'loop forever without an exit' },
      { name: 'writeReadOnly', value: 3, doc: 'store to the image, then the normal program' },
      { name: 'unassignedMmio', value: 4, doc: 'PVG_TEST_UNASSIGNED_ACCESSES reads and writes at PVG_TEST_UNASSIGNED_ADDRESS, then DONE' },
      { name: 'divideByZero', value: 5, doc: 'divide by zero: the exception path, FAIL code exception' },
    ],
  },
  {
    ts: 'Hypercall',
    tsObject: true,
    c: 'PVG_HC_',
    radix: hex(2),
    doc: 'Hypercall offsets in the window; the written value is the argument.',
    members: [
      { name: 'eoi', value: 0x00, doc: 'value: the vector just handled' },
      { name: 'done', value: 0x04, doc: 'value: 0; the host does not resume the vCPU' },
      { name: 'fail', value: 0x08, doc: 'value: a FAIL code, fail_message written first' },
      { name: 'mark', value: 0x0c, doc: 'value: a mark number; the host notes when it saw it (benchmarks time guest loops with it)' },
      {
        name: 'halt',
        value: 0x10,
        doc: "The guest's HLT: value is interrupts_handled as last seen; the host sleeps until an interrupt unless the count has moved on.",
      },
    ],
  },
  {
    ts: 'GuestFail',
    tsObject: true,
    c: 'PVG_FAIL_',
    doc: 'FAIL hypercall codes.',
    members: [
      { name: 'driver', value: 1, doc: "the device misbehaved or refused (the TS guest's DriverError)" },
      { name: 'exception', value: 2, doc: 'a CPU exception (vectors 0..31)' },
      { name: 'boot', value: 3, doc: 'a bad boot block or an unknown variant, workload or test mode' },
      { name: 'unsupported', value: 4, doc: 'a computation this guest does not implement (a huge sin argument)' },
    ],
  },
];

const bootBlock: ByteStruct = {
  ts: 'Boot',
  c: 'pvg_boot',
  doc: "The boot block at the start of each vCPU's boot area: little-endian, read and written by both sides.",
  bytes: 0x100,
  fields: [
    { name: 'self', type: 'u64', section: 'written by the host', doc: 'address of this block' },
    { name: 'magic', type: 'u32', doc: 'PVG_BOOT_MAGIC' },
    { name: 'abiVersion', type: 'u32', doc: 'PVG_BOOT_ABI_VERSION' },
    { name: 'vcpu', type: 'u32' },
    { name: 'device', type: 'u32', doc: 'the device index the guest drives' },
    { name: 'variant', type: 'u32', doc: 'PVG_VARIANT_*' },
    { name: 'workload', type: 'u32', doc: 'PVG_WORKLOAD_*' },
    { name: 'frames', type: 'u32' },
    { name: 'seed', type: 'u32' },
    { name: 'mode', type: 'u32', doc: 'initial mode index (clamped to modes - 1)' },
    { name: 'damagePercent', type: 'u32', doc: 'unused by these workloads' },
    { name: 'ramBase', type: 'u64', doc: 'pages the guest may allocate: [ram_base, ram_end), page aligned' },
    { name: 'ramEnd', type: 'u64' },
    { name: 'idt', type: 'u64', doc: '4 KiB where the guest builds its IDT (256 gates)' },
    { name: 'testMode', type: 'u32', doc: 'PVG_TEST_*' },
    {
      name: 'inputBinding',
      type: 'u32',
      doc: 'PVG_NO_INPUT, or k: the keyboard is virtio device 2k and the tablet 2k + 1 (virtio-mmio: vectors 0x60 + 2k, 0x61 + 2k; virtio-pci: MSI-X vectors 0x60 + 2i config, 0x61 + 2i queues for device i)',
    },
    { name: 'inputTransport', type: 'u32', doc: 'PVG_INPUT_TRANSPORT_*: how the keyboard and tablet are reached (ignored with PVG_NO_INPUT)' },
    { name: 'state', type: 'u32', section: 'written by the guest, read by the host', doc: 'PVG_STATE_*' },
    { name: 'framesDone', type: 'u32' },
    { name: 'interruptsHandled', type: 'u32' },
    { name: 'deviceErrorsSeen', type: 'u32' },
    { name: 'halts', type: 'u32' },
    { name: 'lastError', type: 'u32', doc: 'ERROR_CODE last seen (0 none)' },
    { name: 'inputEventsTaken', type: 'u32', doc: 'virtio-input events taken off both event queues' },
    { name: 'userStackTop', type: 'u64', doc: "ring 3's stack (the entry stack is ring 0's, the TSS's RSP0)" },
    { name: 'ringGpa', type: 'u64', doc: "the guest driver's ring, for its interrupt handler to take the causes from the ring header (0 before it runs)" },
    { name: 'failMessage', type: { chars: FAIL_MESSAGE_BYTES }, doc: 'NUL-terminated, written before a FAIL' },
  ],
};

export const kvmBoot: Unit = {
  name: 'kvm-boot',
  doc: 'The boot contract between the KVM backend and the machine-code guest: image placement, the boot block, hypercalls.',
  ts: 'abi/generated/kvm-boot.ts',
  constants,
  enums,
  structs: [bootBlock],
};
