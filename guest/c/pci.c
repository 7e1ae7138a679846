// Config space through ECAM, with accesses of the sizes program.ts uses (1, 2 and 4 bytes).
#include "pci.h"

#include "fail.h"
#include "io.h"
#include "layout.h"
#include "protocol.h"

// A capability list longer than this is looping (256 bytes of config space, 4-byte entries).
#define MAX_CAPS 64

uint64_t pci_set_up(uint32_t device, uint32_t vcpu) {
  uint64_t cfg = layout_ecam_base(device);
  if (mmio_read16(cfg + 0x00) != PVG_PCI_VENDOR_APPLE) {
    struct msg m;
    msg_init(&m);
    msg_str(&m, "no apple-gfx-pci at config ");
    msg_hex(&m, cfg);
    fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
  }
  mmio_write32(cfg + 0x10, 0xffffffffu);
  uint32_t size = ~(mmio_read32(cfg + 0x10) & 0xfffffff0u) + 1;
  if (size == 0 || (size & (size - 1)) != 0) {
    struct msg m;
    msg_init(&m);
    msg_str(&m, "BAR0 reports a bad size ");
    msg_hex(&m, size);
    fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
  }
  uint64_t bar = layout_pci_bar(device);
  mmio_write32(cfg + 0x10, (uint32_t)bar);
  uint32_t cap = mmio_read8(cfg + 0x34) & 0xfcu;
  for (int hops = 0; cap != 0 && mmio_read8(cfg + cap) != PVG_PCI_MSI_CAP_ID; hops++) {
    if (hops == MAX_CAPS) fail(PVG_FAIL_DRIVER, "PCI capability list loops");
    cap = mmio_read8(cfg + cap + 1) & 0xfcu;
  }
  if (cap == 0) fail(PVG_FAIL_DRIVER, "no MSI capability");
  mmio_write32(cfg + cap + 4, PVG_MSI_ADDRESS_BASE | (vcpu << 12));
  mmio_write32(cfg + cap + 8, 0);
  mmio_write16(cfg + cap + 12, (uint16_t)layout_msi_vector(device));
  // program.ts setUpPci: 4 of the vectors offered (Multiple Message Enable = 2), each cause its
  // own (fence, error, ring idle); the ISR handles every vector of the block alike.
  uint16_t flags = mmio_read16(cfg + cap + 2);
  uint16_t offered = (uint16_t)((flags >> 1) & 7u);
  uint16_t enable = offered < 2 ? offered : 2;
  mmio_write16(cfg + cap + 2, (uint16_t)((flags & ~0x70u) | (enable << 4) | 1u));
  mmio_write16(cfg + 0x04, (uint16_t)(mmio_read16(cfg + 0x04) | 0x6));  // memory space and bus master
  return bar;
}
