// The virtio transport (virtio-mmio version 2, split virtqueues) and the virtio-input device, as
// the virtio 1.2 specification numbers them (docs/virtio.md cites the sections), plus where this
// machine places its virtio-mmio windows and which vectors their interrupts use. The input
// actor, the vCPU's bus, the VM assembly and the guests read these.
import type { Constant, EnumDef, RecordField, Unit } from './types.js';

const hex = (digits: number) => ({ hex: digits });
const u32 = (name: string, doc?: string): RecordField => ({ name, type: 'u32', ...(doc ? { doc } : {}) });
const bool = (name: string, doc?: string): RecordField => ({ name, type: 'bool', ...(doc ? { doc } : {}) });

const placement: Constant[] = [
  {
    ts: 'VIRTIO_MMIO_BASE',
    c: 'PVG_VIRTIO_MMIO_BASE',
    value: 0x3100_0000,
    radix: hex(8),
    doc: "Virtio device i's register window is at VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STRIDE (above the apple-gfx windows).",
  },
  {
    ts: 'VIRTIO_MMIO_STRIDE',
    c: 'PVG_VIRTIO_MMIO_STRIDE',
    value: 0x200,
    radix: hex(3),
    doc: "QEMU's virt board spaces its virtio-mmio transports 0x200 apart.",
  },
  { ts: 'VIRTIO_MMIO_WINDOW_BYTES', c: 'PVG_VIRTIO_MMIO_WINDOW_BYTES', value: 0x200, radix: hex(3) },
  { ts: 'VIRTIO_MAX_DEVICES', c: 'PVG_VIRTIO_MAX_DEVICES', value: 16 },
  {
    ts: 'VECTOR_VIRTIO_BASE',
    c: 'PVG_VECTOR_VIRTIO_BASE',
    value: 0x60,
    radix: hex(2),
    doc: "Virtio device i's interrupt vector: VECTOR_VIRTIO_BASE + i (between the apple-gfx line vectors and the MSI blocks).",
  },
];

const transport: Constant[] = [
  { ts: 'VIRTIO_MMIO_MAGIC', c: 'PVG_VIRTIO_MMIO_MAGIC', value: 0x7472_6976, radix: hex(8), doc: "'virt', little-endian (virtio 1.2 §4.2.2)." },
  { ts: 'VIRTIO_MMIO_VERSION', c: 'PVG_VIRTIO_MMIO_VERSION', value: 2, doc: 'The modern (non-legacy) virtio-mmio interface.' },
  { ts: 'VIRTIO_VENDOR_ID', c: 'PVG_VIRTIO_VENDOR_ID', value: 0x0047_5650, radix: hex(8), doc: "'PVG' as a little-endian u32." },
  { ts: 'VIRTIO_F_VERSION_1', c: 'PVG_VIRTIO_F_VERSION_1', value: 32, doc: 'Feature bit number: the device is virtio 1.x (required by this transport).' },
  { ts: 'VIRTIO_MMIO_INT_VRING', c: 'PVG_VIRTIO_MMIO_INT_VRING', value: 1 << 0, doc: 'InterruptStatus: a used buffer notification.' },
  { ts: 'VIRTIO_MMIO_INT_CONFIG', c: 'PVG_VIRTIO_MMIO_INT_CONFIG', value: 1 << 1, doc: 'InterruptStatus: the configuration (or device status) changed.' },
  { ts: 'VIRTQ_DESC_F_NEXT', c: 'PVG_VIRTQ_DESC_F_NEXT', value: 1 },
  { ts: 'VIRTQ_DESC_F_WRITE', c: 'PVG_VIRTQ_DESC_F_WRITE', value: 2 },
  {
    ts: 'VIRTQ_DESC_F_INDIRECT',
    c: 'PVG_VIRTQ_DESC_F_INDIRECT',
    value: 4,
    doc: 'Not offered (VIRTIO_F_INDIRECT_DESC is off): a descriptor with it is refused.',
  },
  { ts: 'VIRTQ_AVAIL_F_NO_INTERRUPT', c: 'PVG_VIRTQ_AVAIL_F_NO_INTERRUPT', value: 1 },
  { ts: 'VIRTQ_DESC_BYTES', c: 'PVG_VIRTQ_DESC_BYTES', value: 16 },
  { ts: 'VIRTQ_MAX_SIZE', c: 'PVG_VIRTQ_MAX_SIZE', value: 32768, doc: 'The largest queue size the specification allows.' },
  { ts: 'VIRTIO_ID_INPUT', c: 'PVG_VIRTIO_ID_INPUT', value: 18 },
];

const input: Constant[] = [
  { ts: 'VIRTIO_INPUT_QUEUE_SIZE', c: 'PVG_VIRTIO_INPUT_QUEUE_SIZE', value: 64, doc: "QueueNumMax of both input queues (QEMU's virtio-input uses 64)." },
  { ts: 'VIRTIO_INPUT_EVENT_BYTES', c: 'PVG_VIRTIO_INPUT_EVENT_BYTES', value: 8, doc: 'struct virtio_input_event: le16 type, le16 code, le32 value.' },
  { ts: 'VIRTIO_INPUT_CONFIG_BYTES', c: 'PVG_VIRTIO_INPUT_CONFIG_BYTES', value: 136, doc: 'select, subsel, size, 5 reserved, then a 128-byte union.' },
  {
    ts: 'VIRTIO_INPUT_ABS_MAX',
    c: 'PVG_VIRTIO_INPUT_ABS_MAX',
    value: 0x7fff,
    radix: hex(4),
    doc: "The tablet's ABS_X and ABS_Y run 0..this (QEMU's INPUT_EVENT_ABS_MAX).",
  },
  { ts: 'VIRTIO_INPUT_BUS_VIRTUAL', c: 'PVG_VIRTIO_INPUT_BUS_VIRTUAL', value: 0x06, doc: 'ID_DEVIDS bustype (linux/input.h BUS_VIRTUAL).' },
  {
    ts: 'VIRTIO_INPUT_VENDOR',
    c: 'PVG_VIRTIO_INPUT_VENDOR',
    value: 0x0627,
    radix: hex(4),
    doc: 'ID_DEVIDS vendor, as QEMU reports for its virtio-input devices.',
  },
];

// virtio-pci (modern, virtio 1.2 §4.1): the C names are what the machine-code guest's driver (guest/c/virtio_pci.c) uses.
const pci: Constant[] = [
  { ts: 'VIRTIO_PCI_VENDOR_ID', c: 'PVG_VIRTIO_PCI_VENDOR_ID', value: 0x1af4, radix: hex(4), doc: 'PCI vendor of every virtio device (§4.1.2).' },
  {
    ts: 'VIRTIO_PCI_DEVICE_ID_BASE',
    c: 'PVG_VIRTIO_PCI_DEVICE_ID_BASE',
    value: 0x1040,
    radix: hex(4),
    doc: 'A modern virtio-pci device id is 0x1040 + the virtio device type (§4.1.2.1).',
  },
  { ts: 'VIRTIO_PCI_REVISION', value: 1, doc: 'Revision 1 or above: not a transitional device (§4.1.2.1).' },
  {
    ts: 'VIRTIO_PCI_FIRST_SLOT',
    c: 'PVG_VIRTIO_PCI_FIRST_SLOT',
    value: 16,
    doc: 'Virtio device i is PCI device VIRTIO_PCI_FIRST_SLOT + i on bus 0 (its ECAM function and BAR slot), after the apple-gfx devices (at most 16).',
  },
  {
    ts: 'VIRTIO_PCI_BAR_BYTES',
    value: 0x8000,
    radix: hex(4),
    doc: "BAR0: the four structures, 4 KiB apart as in QEMU's virtio-pci, then the MSI-X table and PBA in a 4 KiB page of their own.",
  },
  {
    ts: 'VIRTIO_PCI_COMMON_CFG_BYTES',
    c: 'PVG_VIRTIO_PCI_COMMON_CFG_BYTES',
    value: 0x38,
    radix: hex(2),
    doc: 'struct virtio_pci_common_cfg up to queue_device (no queue_notify_data or queue_reset: their features are not offered).',
  },
  {
    ts: 'VIRTIO_PCI_NOTIFY_OFF_MULTIPLIER',
    value: 4,
    doc: "notify_off_multiplier: queue q's doorbell is at the notify structure + 4 * q (QEMU's without page-per-vq).",
  },
  {
    ts: 'VIRTIO_MSI_NO_VECTOR',
    c: 'PVG_VIRTIO_MSI_NO_VECTOR',
    value: 0xffff,
    radix: hex(4),
    doc: 'msix_config / queue_msix_vector: no interrupt for this cause.',
  },
  { ts: 'VIRTIO_PCI_ISR_QUEUE', value: 1, doc: 'ISR status bit 0: a used buffer notification.' },
  { ts: 'VIRTIO_PCI_ISR_CONFIG', value: 2, doc: 'ISR status bit 1: a configuration change.' },
  { ts: 'PCI_CAP_ID_VNDR', c: 'PVG_PCI_CAP_ID_VNDR', value: 0x09, radix: hex(2), doc: 'Vendor-specific capability: every virtio structure capability.' },
  { ts: 'PCI_CLASS_INPUT_OTHER', value: 0x0980, radix: hex(4), doc: "Base class input devices, subclass other (QEMU's virtio-input-pci)." },
  {
    ts: 'VECTOR_VIRTIO_PCI_BASE',
    c: 'PVG_VECTOR_VIRTIO_PCI_BASE',
    value: 0x60,
    radix: hex(2),
    doc: "Virtio-pci device i's vectors (what the built-in guest programs into its MSI-X table): VECTOR_VIRTIO_PCI_BASE + 2i configuration changes, + 2i + 1 the queues.",
  },
  {
    ts: 'VECTOR_VIRTIO_PCI_INTX_BASE',
    value: 0x50,
    radix: hex(2),
    doc: "Virtio-pci device i's INTx pin (INTA#, a level line) delivers VECTOR_VIRTIO_PCI_INTX_BASE + i: free vectors between the apple-gfx lines' (up to 79) and the MSI-X ones.",
  },
  { ts: 'VIRTIO_PCI_INTX_PIN', value: 1, doc: "Interrupt Pin: INTA#, as QEMU's virtio-pci functions report it." },
];

const enums: EnumDef[] = [
  {
    ts: 'VirtioMmioReg',
    c: 'PVG_VIRTIO_REG_',
    radix: hex(3),
    doc: 'virtio-mmio version 2 registers (virtio 1.2 §4.2.2, Table 4.1); the device configuration starts at Config.',
    members: [
      { name: 'MagicValue', value: 0x000 },
      { name: 'Version', value: 0x004 },
      { name: 'DeviceId', value: 0x008 },
      { name: 'VendorId', value: 0x00c },
      { name: 'DeviceFeatures', value: 0x010 },
      { name: 'DeviceFeaturesSel', value: 0x014 },
      { name: 'DriverFeatures', value: 0x020 },
      { name: 'DriverFeaturesSel', value: 0x024 },
      { name: 'QueueSel', value: 0x030 },
      { name: 'QueueNumMax', value: 0x034 },
      { name: 'QueueNum', value: 0x038 },
      { name: 'QueueReady', value: 0x044 },
      { name: 'QueueNotify', value: 0x050 },
      { name: 'InterruptStatus', value: 0x060 },
      { name: 'InterruptAck', value: 0x064 },
      { name: 'Status', value: 0x070 },
      { name: 'QueueDescLow', value: 0x080 },
      { name: 'QueueDescHigh', value: 0x084 },
      { name: 'QueueDriverLow', value: 0x090 },
      { name: 'QueueDriverHigh', value: 0x094 },
      { name: 'QueueDeviceLow', value: 0x0a0 },
      { name: 'QueueDeviceHigh', value: 0x0a4 },
      { name: 'ConfigGeneration', value: 0x0fc },
      { name: 'Config', value: 0x100 },
    ],
  },
  {
    ts: 'VirtioStatus',
    c: 'PVG_VIRTIO_STATUS_',
    radix: hex(2),
    doc: 'Device status bits (virtio 1.2 §2.1).',
    members: [
      { name: 'Acknowledge', value: 1 },
      { name: 'Driver', value: 2 },
      { name: 'DriverOk', value: 4 },
      { name: 'FeaturesOk', value: 8 },
      { name: 'DeviceNeedsReset', value: 0x40 },
      { name: 'Failed', value: 0x80 },
    ],
  },
  {
    ts: 'VirtioInputCfg',
    c: 'PVG_VIRTIO_INPUT_CFG_',
    radix: hex(2),
    doc: 'virtio-input configuration selects (virtio 1.2 §5.8.4).',
    members: [
      { name: 'Unset', value: 0x00 },
      { name: 'IdName', value: 0x01 },
      { name: 'IdSerial', value: 0x02 },
      { name: 'IdDevids', value: 0x03 },
      { name: 'PropBits', value: 0x10 },
      { name: 'EvBits', value: 0x11 },
      { name: 'AbsInfo', value: 0x12 },
    ],
  },
  {
    ts: 'InputEv',
    c: 'PVG_INPUT_EV_',
    radix: hex(2),
    doc: 'Linux input event types (linux/input-event-codes.h) that these devices send.',
    members: [
      { name: 'Syn', value: 0x00 },
      { name: 'Key', value: 0x01 },
      { name: 'Rel', value: 0x02 },
      { name: 'Abs', value: 0x03 },
    ],
  },
  {
    ts: 'InputCode',
    c: 'PVG_INPUT_',
    radix: hex(3),
    doc: 'Linux input codes (linux/input-event-codes.h) these devices use; keyboard codes are KEY_* as they are (1..KeyMax).',
    members: [
      { name: 'SynReport', value: 0x000 },
      { name: 'KeyMax', value: 0x0ff, doc: 'The keyboard offers KEY_ESC (1) up to this code.' },
      { name: 'BtnLeft', value: 0x110 },
      { name: 'BtnRight', value: 0x111 },
      { name: 'BtnMiddle', value: 0x112 },
    ],
  },
  {
    ts: 'InputAbs',
    c: 'PVG_INPUT_ABS_',
    doc: "The tablet's absolute axes (linux/input-event-codes.h ABS_X, ABS_Y).",
    members: [
      { name: 'X', value: 0 },
      { name: 'Y', value: 1 },
    ],
  },
  {
    ts: 'VirtioPciCapType',
    c: 'PVG_VIRTIO_PCI_CAP_',
    radix: hex(2),
    doc: 'virtio-pci capability cfg_type (virtio 1.2 §4.1.4).',
    members: [
      { name: 'Common', value: 1 },
      { name: 'Notify', value: 2 },
      { name: 'Isr', value: 3 },
      { name: 'Device', value: 4 },
      { name: 'Pci', value: 5 },
    ],
  },
  {
    ts: 'VirtioPciCap',
    c: 'PVG_VIRTIO_PCI_CAP_FIELD_',
    radix: hex(2),
    doc: 'struct virtio_pci_cap field offsets (virtio 1.2 §4.1.4); the notify capability adds notify_off_multiplier.',
    members: [
      { name: 'Vndr', value: 0 },
      { name: 'Next', value: 1 },
      { name: 'Len', value: 2 },
      { name: 'CfgType', value: 3 },
      { name: 'Bar', value: 4 },
      { name: 'Id', value: 5 },
      { name: 'Offset', value: 8 },
      { name: 'Length', value: 12 },
      { name: 'NotifyOffMultiplier', value: 16 },
    ],
  },
  {
    ts: 'VirtioPciRegion',
    radix: hex(4),
    doc: "Where this machine's virtio-pci BAR0 holds each structure (QEMU's virtio-pci layout).",
    members: [
      { name: 'Common', value: 0x0000 },
      { name: 'Isr', value: 0x1000 },
      { name: 'Device', value: 0x2000 },
      { name: 'Notify', value: 0x3000 },
      { name: 'MsixTable', value: 0x4000, doc: 'The MSI-X table: 16 bytes per vector (queues + 1 vectors).' },
      {
        name: 'MsixPba',
        value: 0x4800,
        doc: "The MSI-X pending bits, in the table's page (QEMU's msix_init_exclusive_bar puts them half a page above the table too).",
      },
    ],
  },
  {
    ts: 'VirtioPciCapAt',
    radix: hex(2),
    doc: "Where the virtio capabilities sit in this machine's virtio-pci config space, chained after MSI-X's (0x40).",
    members: [
      { name: 'Common', value: 0x60 },
      { name: 'Notify', value: 0x70 },
      { name: 'Isr', value: 0x84 },
      { name: 'Device', value: 0x94 },
    ],
  },
  {
    ts: 'VirtioPciCommon',
    c: 'PVG_VIRTIO_PCI_COMMON_',
    radix: hex(2),
    doc: 'struct virtio_pci_common_cfg field offsets (virtio 1.2 §4.1.4.3; Linux include/uapi/linux/virtio_pci.h VIRTIO_PCI_COMMON_*).',
    members: [
      { name: 'DeviceFeatureSelect', value: 0x00 },
      { name: 'DeviceFeature', value: 0x04 },
      { name: 'DriverFeatureSelect', value: 0x08 },
      { name: 'DriverFeature', value: 0x0c },
      { name: 'MsixConfig', value: 0x10 },
      { name: 'NumQueues', value: 0x12 },
      { name: 'DeviceStatus', value: 0x14 },
      { name: 'ConfigGeneration', value: 0x15 },
      { name: 'QueueSelect', value: 0x16 },
      { name: 'QueueSize', value: 0x18 },
      { name: 'QueueMsixVector', value: 0x1a },
      { name: 'QueueEnable', value: 0x1c },
      { name: 'QueueNotifyOff', value: 0x1e },
      { name: 'QueueDescLo', value: 0x20 },
      { name: 'QueueDescHi', value: 0x24 },
      { name: 'QueueDriverLo', value: 0x28 },
      { name: 'QueueDriverHi', value: 0x2c },
      { name: 'QueueDeviceLo', value: 0x30 },
      { name: 'QueueDeviceHi', value: 0x34 },
    ],
  },
];

export const virtio: Unit = {
  name: 'virtio',
  doc: 'virtio-mmio (version 2), virtio-pci (modern), split virtqueues and virtio-input, as virtio 1.2 numbers them; where the machine places virtio devices.',
  ts: 'abi/generated/virtio.ts',
  constants: [...placement, ...transport, ...input, ...pci],
  enums,
};

export const inputRecords: Unit = {
  name: 'input-records',
  doc: 'Mailbox records to the input actor from the embedder (vm.input): events to inject. MMIO records arrive in the same mailbox in the device actor layout.',
  ts: 'abi/generated/input-records.ts',
  records: [
    {
      ts: 'InputKind',
      cpp: { enum: 'InputKind', prefix: 'Input' },
      structPrefix: 'Input',
      doc: 'Main thread → input actor (kinds above the MMIO records 1 and 2).',
      kinds: [
        {
          name: 'Key',
          value: 16,
          fields: [u32('device', 'The virtio-input device (index among the VM\u2019s input devices).'), u32('code', 'A Linux KEY_* code.'), bool('down')],
        },
        {
          name: 'Pointer',
          value: 17,
          fields: [
            u32('device'),
            u32('x', 'ABS_X, 0..VIRTIO_INPUT_ABS_MAX.'),
            u32('y', 'ABS_Y, 0..VIRTIO_INPUT_ABS_MAX.'),
            u32('buttons', 'Bit 0 left, 1 middle, 2 right (as RFB numbers them).'),
          ],
        },
      ],
    },
  ],
};
