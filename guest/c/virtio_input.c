#include "virtio_input.h"

#include "fail.h"
#include "io.h"
#include "protocol.h"

static uint32_t reg(const struct virtio_input* v, uint32_t offset) { return mmio_read32(v->base + offset); }
static void set_reg(const struct virtio_input* v, uint32_t offset, uint32_t value) { mmio_write32(v->base + offset, value); }

__attribute__((noreturn)) static void refuse(const struct virtio_input* v, const char* why) {
  struct msg m;
  msg_init(&m);
  msg_str(&m, "virtio device at ");
  msg_hex(&m, v->base);
  msg_str(&m, ": ");
  msg_str(&m, why);
  fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
}

uint64_t virtio_mmio_base(uint32_t index) { return (uint64_t)PVG_VIRTIO_MMIO_BASE + (uint64_t)index * PVG_VIRTIO_MMIO_STRIDE; }

/** virtio-transport.ts negotiateVersion1: reset, ACKNOWLEDGE, DRIVER, VERSION_1 only, FEATURES_OK read back. */
static void negotiate(const struct virtio_input* v) {
  const uint32_t ack = PVG_VIRTIO_STATUS_ACKNOWLEDGE, drv = PVG_VIRTIO_STATUS_DRIVER, fok = PVG_VIRTIO_STATUS_FEATURES_OK;
  set_reg(v, PVG_VIRTIO_REG_STATUS, 0);
  set_reg(v, PVG_VIRTIO_REG_STATUS, ack);
  set_reg(v, PVG_VIRTIO_REG_STATUS, ack | drv);
  const uint32_t bit = 1u << (PVG_VIRTIO_F_VERSION_1 - 32);
  set_reg(v, PVG_VIRTIO_REG_DEVICE_FEATURES_SEL, 1);
  if ((reg(v, PVG_VIRTIO_REG_DEVICE_FEATURES) & bit) == 0) refuse(v, "no VIRTIO_F_VERSION_1");
  set_reg(v, PVG_VIRTIO_REG_DRIVER_FEATURES_SEL, 1);
  set_reg(v, PVG_VIRTIO_REG_DRIVER_FEATURES, bit);
  set_reg(v, PVG_VIRTIO_REG_DRIVER_FEATURES_SEL, 0);
  set_reg(v, PVG_VIRTIO_REG_DRIVER_FEATURES, 0);
  set_reg(v, PVG_VIRTIO_REG_STATUS, ack | drv | fok);
  if ((reg(v, PVG_VIRTIO_REG_STATUS) & fok) == 0) refuse(v, "FEATURES_OK refused");
}

/** The configuration's string `select` (ID_NAME), a byte at a time, at most VIRTIO_INPUT_NAME_MAX bytes. */
static void read_name(struct virtio_input* v) {
  mmio_write8(v->base + PVG_VIRTIO_REG_CONFIG + 0, PVG_VIRTIO_INPUT_CFG_ID_NAME);
  mmio_write8(v->base + PVG_VIRTIO_REG_CONFIG + 1, 0);
  uint32_t size = mmio_read8(v->base + PVG_VIRTIO_REG_CONFIG + 2);
  if (size > VIRTIO_INPUT_NAME_MAX) size = VIRTIO_INPUT_NAME_MAX;
  for (uint32_t i = 0; i < size; i++) v->name[i] = (char)mmio_read8(v->base + PVG_VIRTIO_REG_CONFIG + 8 + i);
  v->name_len = size;
}

void virtio_input_start(struct virtio_input* v, uint32_t index, struct pages* pages) {
  v->base = virtio_mmio_base(index);
  if (reg(v, PVG_VIRTIO_REG_MAGIC_VALUE) != PVG_VIRTIO_MMIO_MAGIC || reg(v, PVG_VIRTIO_REG_VERSION) != PVG_VIRTIO_MMIO_VERSION)
    refuse(v, "no virtio-mmio version 2 device");
  if (reg(v, PVG_VIRTIO_REG_DEVICE_ID) != PVG_VIRTIO_ID_INPUT) refuse(v, "not a virtio-input device");
  negotiate(v);
  read_name(v);
  uint64_t gpa = pages_allocate(pages, IQ_PAGE);
  iq_init(&v->queue, (uint8_t*)(uintptr_t)gpa, gpa);
  set_reg(v, PVG_VIRTIO_REG_QUEUE_SEL, 0);
  if (reg(v, PVG_VIRTIO_REG_QUEUE_NUM_MAX) < IQ_SIZE) refuse(v, "the event queue is smaller than 64 entries");
  set_reg(v, PVG_VIRTIO_REG_QUEUE_NUM, IQ_SIZE);
  set_reg(v, PVG_VIRTIO_REG_QUEUE_DESC_LOW, (uint32_t)(gpa + IQ_DESC));
  set_reg(v, PVG_VIRTIO_REG_QUEUE_DESC_HIGH, (uint32_t)((gpa + IQ_DESC) >> 32));
  set_reg(v, PVG_VIRTIO_REG_QUEUE_DRIVER_LOW, (uint32_t)(gpa + IQ_AVAIL));
  set_reg(v, PVG_VIRTIO_REG_QUEUE_DRIVER_HIGH, (uint32_t)((gpa + IQ_AVAIL) >> 32));
  set_reg(v, PVG_VIRTIO_REG_QUEUE_DEVICE_LOW, (uint32_t)(gpa + IQ_USED));
  set_reg(v, PVG_VIRTIO_REG_QUEUE_DEVICE_HIGH, (uint32_t)((gpa + IQ_USED) >> 32));
  set_reg(v, PVG_VIRTIO_REG_QUEUE_READY, 1);
  if (reg(v, PVG_VIRTIO_REG_QUEUE_READY) != 1) refuse(v, "the device refused its event queue");
  // The status queue (LEDs) is left unset: this guest has no LEDs to report.
  set_reg(v, PVG_VIRTIO_REG_STATUS, PVG_VIRTIO_STATUS_ACKNOWLEDGE | PVG_VIRTIO_STATUS_DRIVER | PVG_VIRTIO_STATUS_FEATURES_OK | PVG_VIRTIO_STATUS_DRIVER_OK);
}

uint32_t virtio_input_take(struct virtio_input* v, struct input_event out[IQ_SIZE]) {
  uint32_t consumed = 0;
  uint32_t n = iq_take(&v->queue, out, &consumed);
  if (consumed != 0) set_reg(v, PVG_VIRTIO_REG_QUEUE_NOTIFY, 0);
  return n;
}
