// Where devices live in guest-physical space (the machine's memory map) and how their interrupts
// are wired. One place, so the VM assembly, the vCPU's bus and the guest driver agree.
export const RAM_BASE = 0x4000_0000;
export const MMIO_GFX_BASE = 0x3020_0000; // vmapple's apple-gfx placement
export const MMIO_IOSFC_OFFSET = 0x1_0000;
export const MMIO_DEVICE_STRIDE = 0x2_0000;
export const GFX_WINDOW_BYTES = 0x4000;
export const IOSFC_WINDOW_BYTES = 0x1_0000;
export const ECAM_BASE = 0xb000_0000;
export const ECAM_FUNCTION_BYTES = 0x1000;
export const ECAM_DEVICE_STRIDE = 0x8000; // 8 functions of 4 KiB per device on bus 0
/** Where the built-in guest places PCI BAR0s. */
export const PCI_BAR_BASE = 0xc000_0000;
export const PCI_BAR_STRIDE = 0x1_0000;
export const MSI_ADDRESS_BASE = 0xfee0_0000;
/** PCI variant: the MSI vectors a guest enables (of the 32 the capability offers), in an aligned block a device. */
export const MSI_VECTORS_ENABLED = 4;
export const MSI_BLOCK_BASE = 0x80;

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
  return { gfx: 32 + device * 3, iosfc: 33 + device * 3, msi: MSI_BLOCK_BASE + device * MSI_VECTORS_ENABLED };
}
