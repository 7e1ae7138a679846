// virtio-input.ts over virtio-mmio-guest.ts: one virtio-input device at its virtio-mmio window
// (version 2), set up as Linux's virtio_input.c and virtio_mmio.c do — the status sequence with
// VIRTIO_F_VERSION_1 only and FEATURES_OK read back, ID_NAME read, the event queue (input_queue.c)
// offered in full before QueueReady (read back) and DRIVER_OK. Refusals FAIL with PVG_FAIL_DRIVER.
#ifndef PVG_GUEST_VIRTIO_INPUT_H
#define PVG_GUEST_VIRTIO_INPUT_H

#include <stdint.h>

#include "input_queue.h"
#include "pages.h"

#define VIRTIO_INPUT_NAME_MAX 128u

struct virtio_input {
  uint64_t base;  // the device's virtio-mmio window
  struct input_queue queue;
  uint32_t name_len;
  char name[VIRTIO_INPUT_NAME_MAX];  // config ID_NAME, e.g. "PVG Virtio Tablet" (kept as the TypeScript driver keeps it)
};

/** Virtio device `index`'s window: PVG_VIRTIO_MMIO_BASE + index * PVG_VIRTIO_MMIO_STRIDE. */
uint64_t virtio_mmio_base(uint32_t index);
/** Probes and starts virtio device `index` as a virtio-input device, its queue page from `pages`. */
void virtio_input_start(struct virtio_input* v, uint32_t index, struct pages* pages);
/** Takes the events written since the last call (at most a queue's worth); one QueueNotify when entries were taken. */
uint32_t virtio_input_take(struct virtio_input* v, struct input_event out[IQ_SIZE]);

#endif
