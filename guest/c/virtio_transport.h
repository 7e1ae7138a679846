// virtio-transport.ts: what the virtio-input driver needs of a transport, whichever it is — a
// virtio-mmio window (virtio_mmio.c) or a modern virtio-pci function (virtio_pci.c) — and the
// status sequence up to FEATURES_OK, written once over both (Linux's virtio_config_ops).
#ifndef PVG_GUEST_VIRTIO_TRANSPORT_H
#define PVG_GUEST_VIRTIO_TRANSPORT_H

#include <stdint.h>

#include "virtio_mmio.h"
#include "virtio_pci.h"

struct virtio_transport {
  uint32_t kind;  // PVG_INPUT_TRANSPORT_*
  union {
    struct virtio_mmio mmio;
    struct virtio_pci pci;
  } u;
};

/** Where a queue's three areas are (guest-physical) and its size. */
struct virtio_queue_layout {
  uint32_t size;
  uint64_t desc, avail, used;
};

/** Probes virtio device `index` on transport `kind` as a device of type `type`; FAILs (PVG_FAIL_DRIVER) when it is none. */
void vt_probe(struct virtio_transport* t, uint32_t kind, uint32_t index, uint32_t type, uint32_t vcpu);
/** The device's address for messages: its virtio-mmio window or its PCI config space. */
uint64_t vt_where(const struct virtio_transport* t);
uint32_t vt_status(const struct virtio_transport* t);
void vt_set_status(const struct virtio_transport* t, uint32_t status);
/** Reset, ACKNOWLEDGE, DRIVER, VIRTIO_F_VERSION_1 only, FEATURES_OK read back (virtio 1.2 §3.1.1). */
void vt_negotiate_version1(const struct virtio_transport* t);
uint8_t vt_config_read8(const struct virtio_transport* t, uint32_t offset);
void vt_config_write8(const struct virtio_transport* t, uint32_t offset, uint8_t value);
/** The largest size queue `q` takes (0: no such queue). */
uint32_t vt_queue_max(const struct virtio_transport* t, uint32_t q);
/** Sets queue `q` up and makes it ready; FAILs when the device refuses. */
void vt_set_up_queue(struct virtio_transport* t, uint32_t q, const struct virtio_queue_layout* l);
void vt_notify(const struct virtio_transport* t, uint32_t q);

#endif
