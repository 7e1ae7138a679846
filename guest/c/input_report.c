#include "input_report.h"

#include "protocol.h"

bool key_report(const struct input_event* e, struct input_report* out) {
  if (e->type != PVG_INPUT_EV_KEY || e->value == 2) return false;
  *out = (struct input_report){.kind = REPORT_KEY, .code = e->code, .down = e->value != 0};
  return true;
}

static uint32_t button_bit(uint16_t code) {
  switch (code) {
    case PVG_INPUT_BTN_LEFT:
      return 1;
    case PVG_INPUT_BTN_MIDDLE:
      return 2;
    case PVG_INPUT_BTN_RIGHT:
      return 4;
    default:
      return 0;
  }
}

bool pointer_feed(struct pointer_decoder* p, const struct input_event* e, struct input_report* out) {
  if (e->type == PVG_INPUT_EV_ABS && e->code == PVG_INPUT_ABS_X) {
    p->x = e->value;
  } else if (e->type == PVG_INPUT_EV_ABS && e->code == PVG_INPUT_ABS_Y) {
    p->y = e->value;
  } else if (e->type == PVG_INPUT_EV_KEY && button_bit(e->code) != 0) {
    uint32_t bit = button_bit(e->code);
    p->buttons = e->value != 0 ? p->buttons | bit : p->buttons & ~bit;
  } else if (e->type == PVG_INPUT_EV_SYN && e->code == PVG_INPUT_SYN_REPORT) {
    bool report = p->changed;
    p->changed = false;
    if (report) *out = (struct input_report){.kind = REPORT_POINTER, .x = p->x, .y = p->y, .buttons = p->buttons};
    return report;
  } else {
    return false;  // anything else a tablet should not send: ignored, as evdev ignores unknown codes
  }
  p->changed = true;
  return false;
}

int32_t axis_to_pixel(int32_t value, uint32_t pixels) {
  int64_t v = value < 0 ? 0 : value > (int32_t)PVG_VIRTIO_INPUT_ABS_MAX ? (int32_t)PVG_VIRTIO_INPUT_ABS_MAX : value;
  // Math.round(n / d) = floor((2n + d) / 2d), d > 0; n < 0 only for a 0-pixel axis.
  int64_t n = 2 * v * ((int64_t)pixels - 1) + PVG_VIRTIO_INPUT_ABS_MAX, d = 2 * (int64_t)PVG_VIRTIO_INPUT_ABS_MAX;
  int64_t q = n / d;
  return (int32_t)(q * d > n ? q - 1 : q);
}
