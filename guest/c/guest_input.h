// guest-input.ts: the display's keyboard and tablet (virtio devices 2k and 2k + 1 for the boot
// block's input_binding k, on its input_transport) as a workload reads them — reports since the
// last call, keyboard first, then tablet — and the wait for input (one HALT unless a device
// already has events). Used by paint (every report) and desktop (the pointer's).
#ifndef PVG_GUEST_GUEST_INPUT_H
#define PVG_GUEST_GUEST_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "input_report.h"
#include "pages.h"
#include "virtio_input.h"

struct guest_input {
  bool present;  // the boot block names a keyboard and tablet
  struct virtio_input keyboard, tablet;
  struct pointer_decoder pointer;
};

/** Starts the boot block's keyboard and tablet (queues from `pages`), or marks none present. */
void guest_input_start(struct guest_input* in, struct pages* pages);
/** Whether either device has events not yet taken. */
bool guest_input_pending(const struct guest_input* in);
/** Takes every event both devices have; `apply` gets each report in order; returns how many reports. */
uint32_t guest_input_take(struct guest_input* in, void (*apply)(void* ctx, const struct input_report* r), void* ctx);
/** One HALT unless a device already has events (the interrupt count is read before the check: main.c wait_fence). */
void guest_input_wait(const struct guest_input* in);

#endif
