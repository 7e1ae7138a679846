// The machine around the device: where devices live in guest-physical space, how their
// interrupts are numbered, and the apple-gfx-pci variant's configuration space. The VM assembly,
// the vCPU's bus, the device actor's config space and both guests read these.
import type { Constant, Unit } from './types.js';

const hex = (digits: number) => ({ hex: digits });

const memoryMap: Constant[] = [
  { ts: 'RAM_BASE', c: 'PVG_RAM_BASE', value: 0x4000_0000, radix: hex(8) },
  { ts: 'MMIO_GFX_BASE', c: 'PVG_MMIO_GFX_BASE', value: 0x3020_0000, radix: hex(8), doc: "vmapple's apple-gfx placement" },
  { ts: 'MMIO_IOSFC_OFFSET', c: 'PVG_MMIO_IOSFC_OFFSET', value: 0x1_0000, radix: hex(5) },
  { ts: 'MMIO_DEVICE_STRIDE', c: 'PVG_MMIO_DEVICE_STRIDE', value: 0x2_0000, radix: hex(5) },
  { ts: 'ECAM_BASE', c: 'PVG_ECAM_BASE', value: 0xb000_0000, radix: hex(8) },
  { ts: 'ECAM_FUNCTION_BYTES', c: 'PVG_ECAM_FUNCTION_BYTES', value: 0x1000, radix: hex(4) },
  { ts: 'ECAM_DEVICE_STRIDE', c: 'PVG_ECAM_DEVICE_STRIDE', value: 0x8000, radix: hex(4), doc: '8 functions of 4 KiB per device on bus 0' },
  { ts: 'PCI_BAR_BASE', c: 'PVG_PCI_BAR_BASE', value: 0xc000_0000, radix: hex(8), doc: 'Where the built-in guests place PCI BAR0s.' },
  { ts: 'PCI_BAR_STRIDE', c: 'PVG_PCI_BAR_STRIDE', value: 0x1_0000, radix: hex(5) },
  { ts: 'MSI_ADDRESS_BASE', c: 'PVG_MSI_ADDRESS_BASE', value: 0xfee0_0000, radix: hex(8) },
  {
    ts: 'MSI_VECTORS_ENABLED',
    c: 'PVG_MSI_VECTORS_ENABLED',
    value: 4,
    doc: 'PCI variant: the MSI vectors the built-in guests enable (of the 32 the capability offers).',
  },
  {
    ts: 'MSI_BLOCK_BASE',
    c: 'PVG_MSI_BLOCK_BASE',
    value: 0x80,
    radix: hex(2),
    doc: "Device d's MSI block: MSI_VECTORS_ENABLED vectors from MSI_BLOCK_BASE + d * MSI_VECTORS_ENABLED, aligned (MSI folds the vector into the data's low bits).",
  },
  // Device d's vectors: gfx = 32 + 3d, iosfc = 33 + 3d; the PCI variant's MSI block is above.
  { ts: 'VECTOR_GFX_BASE', c: 'PVG_VECTOR_GFX_BASE', value: 32, doc: "Device d's line vectors: gfx = 32 + 3d, iosfc = 33 + 3d." },
  { ts: 'VECTOR_IOSFC_BASE', c: 'PVG_VECTOR_IOSFC_BASE', value: 33 },
  { ts: 'VECTORS_PER_DEVICE', c: 'PVG_VECTORS_PER_DEVICE', value: 3 },
];

const pciConfig: Constant[] = [
  { ts: 'PCI_CONFIG_SPACE_SIZE', value: 4096 },
  { ts: 'APPLE_VENDOR_ID', c: 'PVG_PCI_VENDOR_APPLE', value: 0x106b, radix: hex(4) },
  { ts: 'APPLE_GFX_DEVICE_ID', c: 'PVG_PCI_DEVICE_APPLE_GFX', value: 0xeeee, radix: hex(4) },
  { ts: 'BAR0_SIZE', c: 'PVG_PCI_BAR0_SIZE', value: 0x4000, radix: hex(4), doc: 'BAR0 is the gfx window: 16 KiB of 32-bit non-prefetchable memory.' },
  { ts: 'MSI_CAP_OFFSET', c: 'PVG_PCI_MSI_CAP_OFFSET', value: 0x40, radix: hex(2) },
  { ts: 'MSI_CAP_ID', c: 'PVG_PCI_MSI_CAP_ID', value: 0x05, radix: hex(2) },
  // Header offsets.
  { ts: 'PCI_VENDOR_ID', c: 'PVG_PCI_VENDOR_ID', value: 0x00, radix: hex(2), doc: 'Type-0 header offsets.' },
  { ts: 'PCI_DEVICE_ID', c: 'PVG_PCI_DEVICE_ID', value: 0x02, radix: hex(2) },
  { ts: 'PCI_COMMAND', c: 'PVG_PCI_COMMAND', value: 0x04, radix: hex(2) },
  { ts: 'PCI_STATUS', c: 'PVG_PCI_STATUS', value: 0x06, radix: hex(2) },
  { ts: 'PCI_REVISION_ID', c: 'PVG_PCI_REVISION_ID', value: 0x08, radix: hex(2) },
  { ts: 'PCI_CLASS_PROG', c: 'PVG_PCI_CLASS_PROG', value: 0x09, radix: hex(2) },
  { ts: 'PCI_HEADER_TYPE', c: 'PVG_PCI_HEADER_TYPE', value: 0x0e, radix: hex(2) },
  { ts: 'PCI_BAR0', c: 'PVG_PCI_BAR0', value: 0x10, radix: hex(2) },
  { ts: 'PCI_CAPABILITY_LIST', c: 'PVG_PCI_CAPABILITY_LIST', value: 0x34, radix: hex(2) },
  { ts: 'PCI_INTERRUPT_LINE', c: 'PVG_PCI_INTERRUPT_LINE', value: 0x3c, radix: hex(2) },
  { ts: 'PCI_INTERRUPT_PIN', c: 'PVG_PCI_INTERRUPT_PIN', value: 0x3d, radix: hex(2) },
  { ts: 'PCI_COMMAND_MEMORY', c: 'PVG_PCI_COMMAND_MEMORY', value: 1 << 1 },
  { ts: 'PCI_COMMAND_MASTER', c: 'PVG_PCI_COMMAND_MASTER', value: 1 << 2 },
  {
    ts: 'PCI_COMMAND_INTX_DISABLE',
    c: 'PVG_PCI_COMMAND_INTX_DISABLE',
    value: 1 << 10,
    doc: 'Interrupt Disable (PCI 3.0 §6.2.2): the function may not assert its INTx pin.',
  },
  {
    ts: 'PCI_STATUS_INTERRUPT',
    c: 'PVG_PCI_STATUS_INTERRUPT',
    value: 1 << 3,
    doc: 'Interrupt Status (RO): the function wants INTx, whatever Interrupt Disable says.',
  },
  { ts: 'PCI_STATUS_CAP_LIST', c: 'PVG_PCI_STATUS_CAP_LIST', value: 1 << 4 },
  // MSI capability registers, relative to MSI_CAP_OFFSET.
  { ts: 'MSI_FLAGS', c: 'PVG_PCI_MSI_FLAGS', value: 0x02, radix: hex(2), doc: 'MSI capability registers, relative to MSI_CAP_OFFSET.' },
  { ts: 'MSI_ADDRESS_LO', c: 'PVG_PCI_MSI_ADDRESS_LO', value: 0x04, radix: hex(2) },
  { ts: 'MSI_ADDRESS_HI', c: 'PVG_PCI_MSI_ADDRESS_HI', value: 0x08, radix: hex(2) },
  { ts: 'MSI_DATA', c: 'PVG_PCI_MSI_DATA', value: 0x0c, radix: hex(2) },
  {
    ts: 'MSI_MASK',
    c: 'PVG_PCI_MSI_MASK',
    value: 0x10,
    radix: hex(2),
    doc: 'Per-vector mask bits (RW) and pending bits (RO), with MSI_FLAGS_MASKBIT in a 64-bit capability.',
  },
  { ts: 'MSI_PENDING', c: 'PVG_PCI_MSI_PENDING', value: 0x14, radix: hex(2) },
  { ts: 'MSI_FLAGS_ENABLE', c: 'PVG_PCI_MSI_FLAGS_ENABLE', value: 1 << 0 },
  { ts: 'MSI_FLAGS_QMASK', c: 'PVG_PCI_MSI_FLAGS_QMASK', value: 0x7 << 1, doc: 'Multiple Message Capable (RO, log2 of the vectors offered).' },
  { ts: 'MSI_FLAGS_QSIZE', c: 'PVG_PCI_MSI_FLAGS_QSIZE', value: 0x7 << 4, doc: 'Multiple Message Enable (RW, log2 of the vectors enabled).' },
  { ts: 'MSI_FLAGS_64BIT', c: 'PVG_PCI_MSI_FLAGS_64BIT', value: 1 << 7 },
  { ts: 'MSI_FLAGS_MASKBIT', c: 'PVG_PCI_MSI_FLAGS_MASKBIT', value: 1 << 8 },
  { ts: 'MSI_VECTORS', c: 'PVG_PCI_MSI_VECTORS', value: 32, doc: 'Vectors the capability offers: the most MSI can (Multiple Message Capable = 5).' },
  // MSI-X (PCI Local Bus 3.0 §6.8.2; Linux include/uapi/linux/pci_regs.h PCI_MSIX_*), for the
  // functions that offer it instead of MSI (virtio-pci), at MSI_CAP_OFFSET.
  { ts: 'MSIX_CAP_ID', c: 'PVG_PCI_MSIX_CAP_ID', value: 0x11, radix: hex(2), doc: 'MSI-X capability id.' },
  { ts: 'MSIX_CAP_BYTES', value: 12, doc: 'The MSI-X capability: id, next, Message Control, Table Offset/BIR, PBA Offset/BIR.' },
  {
    ts: 'MSIX_FLAGS',
    c: 'PVG_PCI_MSIX_FLAGS',
    value: 0x02,
    radix: hex(2),
    doc: 'MSI-X capability registers, relative to the capability: Message Control (16 bits).',
  },
  { ts: 'MSIX_TABLE', c: 'PVG_PCI_MSIX_TABLE', value: 0x04, radix: hex(2), doc: 'Table Offset (bits 31:3) and BIR (bits 2:0), read-only.' },
  { ts: 'MSIX_PBA', c: 'PVG_PCI_MSIX_PBA', value: 0x08, radix: hex(2), doc: 'PBA Offset (bits 31:3) and BIR (bits 2:0), read-only.' },
  { ts: 'MSIX_FLAGS_QSIZE', c: 'PVG_PCI_MSIX_FLAGS_QSIZE', value: 0x07ff, radix: hex(4), doc: 'Table Size - 1 (read-only).' },
  { ts: 'MSIX_FLAGS_MASKALL', c: 'PVG_PCI_MSIX_FLAGS_MASKALL', value: 1 << 14, doc: 'Function Mask: every vector masked, whatever its own mask bit.' },
  { ts: 'MSIX_FLAGS_ENABLE', c: 'PVG_PCI_MSIX_FLAGS_ENABLE', value: 1 << 15, doc: 'MSI-X Enable.' },
  { ts: 'MSIX_BIR_MASK', c: 'PVG_PCI_MSIX_BIR_MASK', value: 0x7, doc: 'The BAR indicator bits of Table Offset/BIR and PBA Offset/BIR.' },
  { ts: 'MSIX_ENTRY_BYTES', c: 'PVG_PCI_MSIX_ENTRY_BYTES', value: 16, doc: 'A table entry: Message Address (low, high), Message Data, Vector Control.' },
  { ts: 'MSIX_ENTRY_ADDRESS_LO', c: 'PVG_PCI_MSIX_ENTRY_ADDRESS_LO', value: 0x0, radix: hex(2), doc: 'Table entry fields, relative to the entry.' },
  { ts: 'MSIX_ENTRY_ADDRESS_HI', c: 'PVG_PCI_MSIX_ENTRY_ADDRESS_HI', value: 0x4, radix: hex(2) },
  { ts: 'MSIX_ENTRY_DATA', c: 'PVG_PCI_MSIX_ENTRY_DATA', value: 0x8, radix: hex(2) },
  { ts: 'MSIX_ENTRY_VECTOR_CTRL', c: 'PVG_PCI_MSIX_ENTRY_VECTOR_CTRL', value: 0xc, radix: hex(2) },
  { ts: 'MSIX_ENTRY_CTRL_MASKBIT', value: 1, doc: 'Vector Control bit 0: the vector is masked (1 at reset); bits 31:1 reserved.' },
];

export const machine: Unit = {
  name: 'machine',
  doc: "The machine's memory map, interrupt vectors and the apple-gfx-pci configuration space.",
  ts: 'abi/generated/machine.ts',
  constants: [...memoryMap, ...pciConfig],
};
