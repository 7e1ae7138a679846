#include "virtio_transport.h"

#include "boot_abi.h"
#include "protocol.h"

#define PCI(t) ((t)->kind == PVG_INPUT_TRANSPORT_PCI)

void vt_probe(struct virtio_transport* t, uint32_t kind, uint32_t index, uint32_t type, uint32_t vcpu) {
  t->kind = kind;
  if (PCI(t))
    vp_probe(&t->u.pci, index, type, vcpu);
  else
    vm_probe(&t->u.mmio, index, type);
}

uint32_t vt_status(const struct virtio_transport* t) { return PCI(t) ? vp_status(&t->u.pci) : vm_status(&t->u.mmio); }

void vt_set_status(const struct virtio_transport* t, uint32_t status) {
  if (PCI(t))
    vp_set_status(&t->u.pci, status);
  else
    vm_set_status(&t->u.mmio, status);
}

static uint32_t device_features(const struct virtio_transport* t, uint32_t word) {
  return PCI(t) ? vp_device_features(&t->u.pci, word) : vm_device_features(&t->u.mmio, word);
}

static void set_driver_features(const struct virtio_transport* t, uint32_t word, uint32_t value) {
  if (PCI(t))
    vp_set_driver_features(&t->u.pci, word, value);
  else
    vm_set_driver_features(&t->u.mmio, word, value);
}

uint64_t vt_where(const struct virtio_transport* t) { return PCI(t) ? t->u.pci.ecam : t->u.mmio.base; }

void vt_negotiate_version1(const struct virtio_transport* t) {
  const uint32_t ack = PVG_VIRTIO_STATUS_ACKNOWLEDGE, drv = PVG_VIRTIO_STATUS_DRIVER, fok = PVG_VIRTIO_STATUS_FEATURES_OK;
  vt_set_status(t, 0);
  vt_set_status(t, ack);
  vt_set_status(t, ack | drv);
  const uint32_t bit = 1u << (PVG_VIRTIO_F_VERSION_1 - 32);
  if ((device_features(t, 1) & bit) == 0) virtio_refuse(vt_where(t), "no VIRTIO_F_VERSION_1");
  set_driver_features(t, 1, bit);
  set_driver_features(t, 0, 0);
  vt_set_status(t, ack | drv | fok);
  if ((vt_status(t) & fok) == 0) virtio_refuse(vt_where(t), "FEATURES_OK refused");
}

uint8_t vt_config_read8(const struct virtio_transport* t, uint32_t offset) {
  return PCI(t) ? vp_config_read8(&t->u.pci, offset) : vm_config_read8(&t->u.mmio, offset);
}

void vt_config_write8(const struct virtio_transport* t, uint32_t offset, uint8_t value) {
  if (PCI(t))
    vp_config_write8(&t->u.pci, offset, value);
  else
    vm_config_write8(&t->u.mmio, offset, value);
}

uint32_t vt_queue_max(const struct virtio_transport* t, uint32_t q) { return PCI(t) ? vp_queue_max(&t->u.pci, q) : vm_queue_max(&t->u.mmio, q); }

void vt_set_up_queue(struct virtio_transport* t, uint32_t q, const struct virtio_queue_layout* l) {
  if (PCI(t))
    vp_set_up_queue(&t->u.pci, q, l);
  else
    vm_set_up_queue(&t->u.mmio, q, l);
}

void vt_notify(const struct virtio_transport* t, uint32_t q) {
  if (PCI(t))
    vp_notify(&t->u.pci, q);
  else
    vm_notify(&t->u.mmio, q);
}
