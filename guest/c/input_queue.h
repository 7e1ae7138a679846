// virtio-input.ts's event queue, without the device: one 4 KiB page holding the descriptor table,
// the available and used rings and the 64 event buffers, every buffer offered; used entries taken
// (checked first: a used ring is input to the guest too) and their buffers offered again. No MMIO
// here, so the host tests build it as it is (sim/input_dump.c).
#ifndef PVG_GUEST_INPUT_QUEUE_H
#define PVG_GUEST_INPUT_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

// Offsets in the queue's page, as the TypeScript driver lays it out: table (16 * 64), available
// ring (6 + 2 * 64), used ring (6 + 8 * 64), buffers (8 * 64).
#define IQ_DESC 0u
#define IQ_AVAIL 1024u
#define IQ_USED 1280u
#define IQ_BUFFERS 2048u
#define IQ_PAGE 4096u
#define IQ_SIZE PVG_VIRTIO_INPUT_QUEUE_SIZE

/** struct virtio_input_event. */
struct input_event {
  uint16_t type, code;
  int32_t value;
};

struct input_queue {
  uint8_t* page;  // where the guest reaches the page (identity-mapped: its address)
  uint16_t last_used, avail_idx;
};

/** Zeroes the page at `page` (guest-physical `gpa`), writes every descriptor and offers all 64 buffers. */
void iq_init(struct input_queue* q, uint8_t* page, uint64_t gpa);
/** Whether the device has used buffers not yet taken (reads the used index only). */
bool iq_pending(const struct input_queue* q);
/**
 * Takes at most IQ_SIZE used entries into `out` (events of entries with a valid id and length 8,
 * in order) and offers their buffers again; returns how many events. *consumed: entries taken,
 * valid or not (the caller notifies when it is not 0 and calls again while iq_pending).
 */
uint32_t iq_take(struct input_queue* q, struct input_event out[IQ_SIZE], uint32_t* consumed);

#endif
