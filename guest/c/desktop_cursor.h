// desktop.ts's cursor: on its Lissajous path until the tablet reports a pointer, then where the
// pointer last was (axisToPixel on the mode's size). No MMIO: the host tests build it as it is.
#ifndef PVG_GUEST_DESKTOP_CURSOR_H
#define PVG_GUEST_DESKTOP_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "input_report.h"

struct desktop_cursor {
  bool has_pointer;  // false: no pointer report yet, the cursor follows its path
  int32_t x, y;      // the pointer's pixel
};

/** A report taken in this frame: a pointer report moves the cursor there (keys are ignored). */
void desktop_cursor_report(struct desktop_cursor* c, const struct input_report* r, uint32_t width, uint32_t height);
/** Where frame n's CURSOR_MOVE puts the cursor (ToUint32 of the JS numbers, as the ring takes them). */
void desktop_cursor_at(const struct desktop_cursor* c, uint32_t n, uint32_t width, uint32_t height, uint32_t* x, uint32_t* y);

#endif
