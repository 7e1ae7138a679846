// virtio-pci-guest.ts: a modern virtio-pci function (virtio 1.2 §4.1) brought up as a firmware
// and Linux's virtio_pci_modern_dev.c do — vendor 0x1AF4 and device 0x1040 + type checked,
// BAR0 sized and placed, the capability list walked for the common, notify, ISR and device
// structures (each checked to fit BAR0 with vp_modern_map_capability's length and alignment)
// and for MSI-X, whose table (at least two entries, in BAR0) is programmed as Linux's
// msix_capability_init does: Enable with Function Mask, every entry, Function Mask off. Entry 0
// carries configuration changes (vector 0x60 + 2i), the others the queues (0x61 + 2i); queue q
// takes entry 1 + q while the table has one, else entry 1. Every number read from the function
// is checked before use: one that lies about its layout FAILs with PVG_FAIL_DRIVER.
#ifndef PVG_GUEST_VIRTIO_PCI_H
#define PVG_GUEST_VIRTIO_PCI_H

#include <stdint.h>

struct virtio_pci {
  uint64_t ecam, bar;                    // the function's config space, where BAR0 is placed
  uint64_t common, isr, device, notify;  // the structures (guest-physical, in BAR0)
  uint32_t device_len, notify_len, notify_mul;
  uint32_t table_size;   // MSI-X entries
  uint64_t doorbell[2];  // queue q's doorbell (0: not set up); a virtio-input device has two queues
};

struct virtio_queue_layout;

/** Virtio-pci device i's config space and BAR0 (machine/memory-map.ts virtioPciEcamBase, virtioPciBarBase). */
uint64_t virtio_pci_ecam(uint32_t index);
uint64_t virtio_pci_bar(uint32_t index);
/** The vector for device i's configuration changes (queue = 0) or its queues (queue = 1). */
uint32_t virtio_pci_vector(uint32_t index, uint32_t queue);
/** Probes function `index` as virtio type `type` and brings it up with MSI-X to `vcpu`; FAILs otherwise. */
void vp_probe(struct virtio_pci* p, uint32_t index, uint32_t type, uint32_t vcpu);
uint32_t vp_status(const struct virtio_pci* p);
void vp_set_status(const struct virtio_pci* p, uint32_t status);
uint32_t vp_device_features(const struct virtio_pci* p, uint32_t word);
void vp_set_driver_features(const struct virtio_pci* p, uint32_t word, uint32_t value);
/** A byte of the device configuration: FAILs past the structure's length. */
uint8_t vp_config_read8(const struct virtio_pci* p, uint32_t offset);
void vp_config_write8(const struct virtio_pci* p, uint32_t offset, uint8_t value);
uint32_t vp_queue_max(const struct virtio_pci* p, uint32_t q);
void vp_set_up_queue(struct virtio_pci* p, uint32_t q, const struct virtio_queue_layout* l);
void vp_notify(const struct virtio_pci* p, uint32_t q);

#endif
