#include "virtio_input.h"

#include "protocol.h"

/** The configuration's string `select` (ID_NAME), a byte at a time, at most VIRTIO_INPUT_NAME_MAX bytes. */
static void read_name(struct virtio_input* v) {
  const struct virtio_transport* t = &v->transport;
  vt_config_write8(t, 0, PVG_VIRTIO_INPUT_CFG_ID_NAME);
  vt_config_write8(t, 1, 0);
  uint32_t size = vt_config_read8(t, 2);
  if (size > VIRTIO_INPUT_NAME_MAX) size = VIRTIO_INPUT_NAME_MAX;
  for (uint32_t i = 0; i < size; i++) v->name[i] = (char)vt_config_read8(t, 8 + i);
  v->name_len = size;
}

void virtio_input_start(struct virtio_input* v, uint32_t kind, uint32_t index, uint32_t vcpu, struct pages* pages) {
  struct virtio_transport* t = &v->transport;
  vt_probe(t, kind, index, PVG_VIRTIO_ID_INPUT, vcpu);
  vt_negotiate_version1(t);
  read_name(v);
  uint64_t gpa = pages_allocate(pages, IQ_PAGE);
  iq_init(&v->queue, (uint8_t*)(uintptr_t)gpa, gpa);
  if (vt_queue_max(t, 0) < IQ_SIZE) virtio_refuse(vt_where(t), "the event queue is smaller than 64 entries");
  const struct virtio_queue_layout layout = {.size = IQ_SIZE, .desc = gpa + IQ_DESC, .avail = gpa + IQ_AVAIL, .used = gpa + IQ_USED};
  vt_set_up_queue(t, 0, &layout);
  // The status queue (LEDs) is left unset: this guest has no LEDs to report.
  vt_set_status(t, PVG_VIRTIO_STATUS_ACKNOWLEDGE | PVG_VIRTIO_STATUS_DRIVER | PVG_VIRTIO_STATUS_FEATURES_OK | PVG_VIRTIO_STATUS_DRIVER_OK);
}

uint32_t virtio_input_take(struct virtio_input* v, struct input_event out[IQ_SIZE]) {
  uint32_t consumed = 0;
  uint32_t n = iq_take(&v->queue, out, &consumed);
  if (consumed != 0) vt_notify(&v->transport, 0);
  return n;
}
