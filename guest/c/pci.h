// program.ts setUpPci: PCI enumeration as a firmware would do it for one apple-gfx-pci.
#ifndef PVG_GUEST_PCI_H
#define PVG_GUEST_PCI_H

#include <stdint.h>

/** Checks the vendor, sizes and places BAR0, points MSI at this vCPU; returns BAR0's address. */
uint64_t pci_set_up(uint32_t device, uint32_t vcpu);

#endif
