#include "desktop_cursor.h"

#include "jsmath.h"

void desktop_cursor_report(struct desktop_cursor* c, const struct input_report* r, uint32_t width, uint32_t height) {
  if (r->kind != REPORT_POINTER) return;
  c->has_pointer = true;
  c->x = axis_to_pixel(r->x, width);
  c->y = axis_to_pixel(r->y, height);
}

void desktop_cursor_at(const struct desktop_cursor* c, uint32_t n, uint32_t width, uint32_t height, uint32_t* x, uint32_t* y) {
  if (c->has_pointer) {
    *x = (uint32_t)c->x;
    *y = (uint32_t)c->y;
    return;
  }
  double w = width, h = height;
  *x = js_to_u32(js_round(w / 2 + (w / 3) * js_sin((double)n / 23)));
  *y = js_to_u32(js_round(h / 2 + (h / 3) * js_sin((double)n / 17)));
}
