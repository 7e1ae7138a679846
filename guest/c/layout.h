// Where device `d`'s windows and vectors are (machine/memory-map.ts): one place for the boot code, the PCI
// setup and the interrupt handler, which finds the gfx window from the boot block alone.
#ifndef PVG_GUEST_LAYOUT_H
#define PVG_GUEST_LAYOUT_H

#include <stdint.h>

#include "boot_abi.h"
#include "protocol.h"

static inline uint64_t layout_mmio_gfx_base(uint32_t device) { return (uint64_t)PVG_MMIO_GFX_BASE + (uint64_t)device * PVG_MMIO_DEVICE_STRIDE; }
static inline uint64_t layout_mmio_iosfc_base(uint32_t device) { return layout_mmio_gfx_base(device) + PVG_MMIO_IOSFC_OFFSET; }
static inline uint64_t layout_ecam_base(uint32_t device) { return (uint64_t)PVG_ECAM_BASE + (uint64_t)device * PVG_ECAM_DEVICE_STRIDE; }
/** Where the guest places BAR0 (program.ts setUpPci). */
static inline uint64_t layout_pci_bar(uint32_t device) { return (uint64_t)PVG_PCI_BAR_BASE + (uint64_t)device * PVG_PCI_BAR_STRIDE; }
/** The first of device d's PVG_MSI_VECTORS_ENABLED MSI vectors (an aligned block). */
static inline uint32_t layout_msi_vector(uint32_t device) { return PVG_MSI_BLOCK_BASE + device * PVG_MSI_VECTORS_ENABLED; }
/** The gfx window the guest drives for this block's device and variant. */
static inline uint64_t layout_gfx_base(uint32_t variant, uint32_t device) {
  return variant == PVG_VARIANT_PCI ? layout_pci_bar(device) : layout_mmio_gfx_base(device);
}

#endif
