// guest-input.ts: raw virtio-input events to what a workload uses, as evdev does. A key is
// reported at its EV_KEY (auto-repeat, value 2, ignored); the tablet's ABS_X, ABS_Y and button
// changes collect until SYN_REPORT, which reports the pointer once if anything changed.
#ifndef PVG_GUEST_INPUT_REPORT_H
#define PVG_GUEST_INPUT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "input_queue.h"

enum input_report_kind { REPORT_KEY, REPORT_POINTER };

struct input_report {
  enum input_report_kind kind;
  uint32_t code;     // key: the Linux KEY_* code
  bool down;         // key: pressed (true) or released
  int32_t x, y;      // pointer: the tablet's axes (0..PVG_VIRTIO_INPUT_ABS_MAX from a well-behaved device)
  uint32_t buttons;  // pointer: bit 0 left, 1 middle, 2 right (RFB's order)
};

struct pointer_decoder {
  int32_t x, y;
  uint32_t buttons;
  bool changed;
};

/** A keyboard event as a key report: false for anything but EV_KEY and for auto-repeat. */
bool key_report(const struct input_event* e, struct input_report* out);
/** Feeds one tablet event; true (and *out) at a SYN_REPORT that ends a report with changes. */
bool pointer_feed(struct pointer_decoder* p, const struct input_event* e, struct input_report* out);
/** guest-input.ts axisToPixel: Math.round(clamp(value, 0, ABS_MAX) * (pixels - 1) / ABS_MAX). */
int32_t axis_to_pixel(int32_t value, uint32_t pixels);

#endif
