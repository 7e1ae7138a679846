// virtio-input.ts over virtio_transport.h (virtio-mmio or virtio-pci): one virtio-input device set
// up as Linux's virtio_input.c does — the status sequence with VIRTIO_F_VERSION_1 only and
// FEATURES_OK read back, ID_NAME read, the event queue (input_queue.c) offered in full before it
// is made ready, then DRIVER_OK. Refusals FAIL with PVG_FAIL_DRIVER.
#ifndef PVG_GUEST_VIRTIO_INPUT_H
#define PVG_GUEST_VIRTIO_INPUT_H

#include <stdint.h>

#include "input_queue.h"
#include "pages.h"
#include "virtio_transport.h"

#define VIRTIO_INPUT_NAME_MAX 128u

struct virtio_input {
  struct virtio_transport transport;
  struct input_queue queue;
  uint32_t name_len;
  char name[VIRTIO_INPUT_NAME_MAX];  // config ID_NAME, e.g. "PVG Virtio Tablet" (kept as the TypeScript driver keeps it)
};

/** Probes and starts virtio device `index` (transport `kind`, MSI-X to `vcpu` on PCI) as a virtio-input device, its queue page from `pages`. */
void virtio_input_start(struct virtio_input* v, uint32_t kind, uint32_t index, uint32_t vcpu, struct pages* pages);
/** Takes the events written since the last call (at most a queue's worth); one notify when entries were taken. */
uint32_t virtio_input_take(struct virtio_input* v, struct input_event out[IQ_SIZE]);

#endif
