// virtio-mmio-guest.ts: a virtio-mmio (version 2) window, as Linux's virtio_mmio.c drives it.
#ifndef PVG_GUEST_VIRTIO_MMIO_H
#define PVG_GUEST_VIRTIO_MMIO_H

#include <stdint.h>

struct virtio_mmio {
  uint64_t base;  // the device's window
};

struct virtio_queue_layout;

/** Virtio device `index`'s window: PVG_VIRTIO_MMIO_BASE + index * PVG_VIRTIO_MMIO_STRIDE. */
uint64_t virtio_mmio_base(uint32_t index);
/** Checks the magic, version 2 and device type `type`; FAILs otherwise. */
void vm_probe(struct virtio_mmio* m, uint32_t index, uint32_t type);
uint32_t vm_status(const struct virtio_mmio* m);
void vm_set_status(const struct virtio_mmio* m, uint32_t status);
uint32_t vm_device_features(const struct virtio_mmio* m, uint32_t word);
void vm_set_driver_features(const struct virtio_mmio* m, uint32_t word, uint32_t value);
uint8_t vm_config_read8(const struct virtio_mmio* m, uint32_t offset);
void vm_config_write8(const struct virtio_mmio* m, uint32_t offset, uint8_t value);
uint32_t vm_queue_max(const struct virtio_mmio* m, uint32_t q);
void vm_set_up_queue(const struct virtio_mmio* m, uint32_t q, const struct virtio_queue_layout* l);
void vm_notify(const struct virtio_mmio* m, uint32_t q);
/** FAILs (PVG_FAIL_DRIVER): "virtio device at <where>: <why>". */
__attribute__((noreturn)) void virtio_refuse(uint64_t where, const char* why);

#endif
