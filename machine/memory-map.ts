// Where devices live in guest-physical space (the machine's memory map) and how their interrupts
// are wired. One place, so the VM assembly, the vCPU's bus and the guest driver agree; the
// numbers come from abi/schema/machine.ts, which the C guest's header is generated from too.
import {
  ECAM_BASE,
  ECAM_DEVICE_STRIDE,
  MMIO_DEVICE_STRIDE,
  MMIO_GFX_BASE,
  MMIO_IOSFC_OFFSET,
  VECTOR_GFX_BASE,
  VECTOR_IOSFC_BASE,
  MSI_BLOCK_BASE,
  MSI_VECTORS_ENABLED,
  PCI_BAR_BASE,
  PCI_BAR_STRIDE,
  VECTORS_PER_DEVICE,
} from '../abi/generated/machine.js';
import {
  VECTOR_VIRTIO_BASE,
  VECTOR_VIRTIO_PCI_BASE,
  VECTOR_VIRTIO_PCI_INTX_BASE,
  VIRTIO_MMIO_BASE,
  VIRTIO_MMIO_STRIDE,
  VIRTIO_PCI_FIRST_SLOT,
} from '../abi/generated/virtio.js';

export { VIRTIO_MMIO_BASE, VIRTIO_MMIO_STRIDE, VIRTIO_MMIO_WINDOW_BYTES, VIRTIO_MAX_DEVICES } from '../abi/generated/virtio.js';
export {
  ECAM_BASE,
  ECAM_DEVICE_STRIDE,
  ECAM_FUNCTION_BYTES,
  MMIO_DEVICE_STRIDE,
  MMIO_GFX_BASE,
  MMIO_IOSFC_OFFSET,
  MSI_ADDRESS_BASE,
  MSI_BLOCK_BASE,
  MSI_VECTORS_ENABLED,
  PCI_BAR_BASE,
  PCI_BAR_STRIDE,
  RAM_BASE,
} from '../abi/generated/machine.js';
export { GFX_WINDOW_BYTES, IOSFC_WINDOW_BYTES } from '../abi/generated/protocol.js';

/** Virtio device i's virtio-mmio window (abi/schema/virtio.ts). */
export function virtioMmioBase(device: number): number {
  return VIRTIO_MMIO_BASE + device * VIRTIO_MMIO_STRIDE;
}

/** Virtio device i's interrupt vector. */
export function virtioVector(device: number): number {
  return VECTOR_VIRTIO_BASE + device;
}

/** Virtio-pci device i's ECAM function: PCI device VIRTIO_PCI_FIRST_SLOT + i on bus 0. */
export function virtioPciEcamBase(device: number): number {
  return ecamBase(VIRTIO_PCI_FIRST_SLOT + device);
}

/** Where the built-in guest places virtio-pci device i's BAR0 (the next PCI_BAR_STRIDE slots after the apple-gfx devices'). */
export function virtioPciBarBase(device: number): number {
  return PCI_BAR_BASE + (VIRTIO_PCI_FIRST_SLOT + device) * PCI_BAR_STRIDE;
}

/** Virtio-pci device i's INTx vector: its INTA# level line delivers it (a driver that leaves MSI-X off takes it). */
export function virtioPciIntxVector(device: number): number {
  return VECTOR_VIRTIO_PCI_INTX_BASE + device;
}

/** The vectors the built-in guest programs into virtio-pci device i's MSI-X table: configuration changes and its queues. */
export function virtioPciVectors(device: number): { config: number; queues: number } {
  return { config: VECTOR_VIRTIO_PCI_BASE + 2 * device, queues: VECTOR_VIRTIO_PCI_BASE + 2 * device + 1 };
}

export function mmioGfxBase(device: number): number {
  return MMIO_GFX_BASE + device * MMIO_DEVICE_STRIDE;
}

export function mmioIosfcBase(device: number): number {
  return mmioGfxBase(device) + MMIO_IOSFC_OFFSET;
}

export function ecamBase(device: number): number {
  return ECAM_BASE + device * ECAM_DEVICE_STRIDE;
}

/** Interrupt lines of device i (MMIO variant): gfx and iosfc. */
export function deviceLines(device: number): { gfx: number; iosfc: number } {
  return { gfx: device * 2, iosfc: device * 2 + 1 };
}

/**
 * Vectors the guest handles: gfx and iosfc lines, and the first of the PCI variant's MSI block
 * (MSI_VECTORS_ENABLED vectors from there, aligned: MSI folds the vector into the data's low bits).
 */
export function deviceVectors(device: number): { gfx: number; iosfc: number; msi: number } {
  const first = device * VECTORS_PER_DEVICE;
  return { gfx: VECTOR_GFX_BASE + first, iosfc: VECTOR_IOSFC_BASE + first, msi: MSI_BLOCK_BASE + device * MSI_VECTORS_ENABLED };
}
