#include "virtio_mmio.h"

#include "fail.h"
#include "io.h"
#include "protocol.h"
#include "virtio_transport.h"

static uint32_t reg(const struct virtio_mmio* m, uint32_t offset) { return mmio_read32(m->base + offset); }
static void set_reg(const struct virtio_mmio* m, uint32_t offset, uint32_t value) { mmio_write32(m->base + offset, value); }

void virtio_refuse(uint64_t where, const char* why) {
  struct msg m;
  msg_init(&m);
  msg_str(&m, "virtio device at ");
  msg_hex(&m, where);
  msg_str(&m, ": ");
  msg_str(&m, why);
  fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
}

uint64_t virtio_mmio_base(uint32_t index) { return (uint64_t)PVG_VIRTIO_MMIO_BASE + (uint64_t)index * PVG_VIRTIO_MMIO_STRIDE; }

void vm_probe(struct virtio_mmio* m, uint32_t index, uint32_t type) {
  m->base = virtio_mmio_base(index);
  if (reg(m, PVG_VIRTIO_REG_MAGIC_VALUE) != PVG_VIRTIO_MMIO_MAGIC || reg(m, PVG_VIRTIO_REG_VERSION) != PVG_VIRTIO_MMIO_VERSION)
    virtio_refuse(m->base, "no virtio-mmio version 2 device");
  if (reg(m, PVG_VIRTIO_REG_DEVICE_ID) != type) virtio_refuse(m->base, "not a virtio-input device");
}

uint32_t vm_status(const struct virtio_mmio* m) { return reg(m, PVG_VIRTIO_REG_STATUS); }
void vm_set_status(const struct virtio_mmio* m, uint32_t status) { set_reg(m, PVG_VIRTIO_REG_STATUS, status); }

uint32_t vm_device_features(const struct virtio_mmio* m, uint32_t word) {
  set_reg(m, PVG_VIRTIO_REG_DEVICE_FEATURES_SEL, word);
  return reg(m, PVG_VIRTIO_REG_DEVICE_FEATURES);
}

void vm_set_driver_features(const struct virtio_mmio* m, uint32_t word, uint32_t value) {
  set_reg(m, PVG_VIRTIO_REG_DRIVER_FEATURES_SEL, word);
  set_reg(m, PVG_VIRTIO_REG_DRIVER_FEATURES, value);
}

uint8_t vm_config_read8(const struct virtio_mmio* m, uint32_t offset) { return mmio_read8(m->base + PVG_VIRTIO_REG_CONFIG + offset); }
void vm_config_write8(const struct virtio_mmio* m, uint32_t offset, uint8_t value) { mmio_write8(m->base + PVG_VIRTIO_REG_CONFIG + offset, value); }

uint32_t vm_queue_max(const struct virtio_mmio* m, uint32_t q) {
  set_reg(m, PVG_VIRTIO_REG_QUEUE_SEL, q);
  return reg(m, PVG_VIRTIO_REG_QUEUE_NUM_MAX);
}

void vm_set_up_queue(const struct virtio_mmio* m, uint32_t q, const struct virtio_queue_layout* l) {
  set_reg(m, PVG_VIRTIO_REG_QUEUE_SEL, q);
  set_reg(m, PVG_VIRTIO_REG_QUEUE_NUM, l->size);
  set_reg(m, PVG_VIRTIO_REG_QUEUE_DESC_LOW, (uint32_t)l->desc);
  set_reg(m, PVG_VIRTIO_REG_QUEUE_DESC_HIGH, (uint32_t)(l->desc >> 32));
  set_reg(m, PVG_VIRTIO_REG_QUEUE_DRIVER_LOW, (uint32_t)l->avail);
  set_reg(m, PVG_VIRTIO_REG_QUEUE_DRIVER_HIGH, (uint32_t)(l->avail >> 32));
  set_reg(m, PVG_VIRTIO_REG_QUEUE_DEVICE_LOW, (uint32_t)l->used);
  set_reg(m, PVG_VIRTIO_REG_QUEUE_DEVICE_HIGH, (uint32_t)(l->used >> 32));
  set_reg(m, PVG_VIRTIO_REG_QUEUE_READY, 1);
  if (reg(m, PVG_VIRTIO_REG_QUEUE_READY) != 1) virtio_refuse(m->base, "the device refused its event queue");
}

void vm_notify(const struct virtio_mmio* m, uint32_t q) { set_reg(m, PVG_VIRTIO_REG_QUEUE_NOTIFY, q); }
