// desktop.ts: wallpaper, three windows, a translucent sprite bouncing in the bottom band, a
// seven-segment clock and a cursor on a Lissajous path — or following the pointer once the
// display's tablet has reported one (desktop_cursor.c). Positions are JS numbers (doubles) and
// reach the ring through ToUint32, as in the TS workload.
#include <stdbool.h>

#include "jsmath.h"
#include "workload.h"

#define SPRITE 48u
#define CURSOR 16u
#define WALL 0xff1d3557u

// Seven-segment digits: bits a b c d e f g.
static const uint8_t SEGMENTS[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f};

static uint32_t sprite(uint32_t xi, uint32_t yi) {
  double dx = ((double)xi - SPRITE / 2) + 0.5;
  double dy = ((double)yi - SPRITE / 2) + 0.5;
  double r = js_sqrt(dx * dx + dy * dy) / (SPRITE / 2);
  if (r > 1) return 0;
  uint32_t a = (uint32_t)js_round(255 * js_min(1, (1 - r) * 3));
  uint32_t g = (uint32_t)js_round(180 * (1 - r));
  return (a << 24) | (0xffu << 16) | (g << 8) | 0x40u;
}

static uint32_t arrow(uint32_t x, uint32_t y) {
  if (x > y || x + y > CURSOR + 4) return 0;
  bool edge = x == 0 || x == y || x + y == CURSOR + 4;
  return edge ? 0xff000000u : 0xffffffffu;
}

static void draw_digit(struct env* e, double x, double y, uint32_t digit) {
  struct driver* d = e->driver;
  uint32_t on = SEGMENTS[digit];
#define SEG(bit) (((on >> (bit)) & 1) ? 0xff7cfc00u : 0xff102010u)
  drv_fill(d, 0, js_to_u32(x + 2), js_to_u32(y), 10, 2, SEG(0));        // a
  drv_fill(d, 0, js_to_u32(x + 12), js_to_u32(y + 2), 2, 10, SEG(1));   // b
  drv_fill(d, 0, js_to_u32(x + 12), js_to_u32(y + 14), 2, 10, SEG(2));  // c
  drv_fill(d, 0, js_to_u32(x + 2), js_to_u32(y + 24), 10, 2, SEG(3));   // d
  drv_fill(d, 0, js_to_u32(x), js_to_u32(y + 14), 2, 10, SEG(4));       // e
  drv_fill(d, 0, js_to_u32(x), js_to_u32(y + 2), 2, 10, SEG(5));        // f
  drv_fill(d, 0, js_to_u32(x + 2), js_to_u32(y + 12), 10, 2, SEG(6));   // g
#undef SEG
}

/** The free strip at the bottom where the sprite bounces. */
static void sprite_band(double height, double* y, double* h) {
  *y = js_min(js_round(height * 0.75), height - SPRITE);
  *h = height - *y;
}

struct window {
  double x, y, w, h;  // shares of the mode's width and height
  uint32_t title;
};

static const struct window WINDOWS[3] = {
    {0.05, 0.08, 0.4, 0.35, 0xff457b9du},
    {0.5, 0.12, 0.42, 0.3, 0xffe63946u},
    {0.1, 0.52, 0.3, 0.18, 0xff2a9d8fu},
};

/** guest_input_take's callback: the pointer's reports move the cursor. */
static void follow(void* ctx, const struct input_report* r) {
  struct env* e = ctx;
  desktop_cursor_report(&e->w.desktop.cursor, r, e->width, e->height);
}

void desktop_setup(struct env* e) {
  double width = e->width, height = e->height;
  struct driver* d = e->driver;
  // The virtio-input queues come after the GPU driver's pages, as program.ts allocates them.
  guest_input_start(&e->input, d->pages);
  uint64_t gpa = mapped_buffer(e, WORKLOAD_CTX, (SPRITE * SPRITE + CURSOR * CURSOR) * 4);
  write_image(gpa, SPRITE, SPRITE, sprite);
  write_image(gpa + SPRITE * SPRITE * 4, CURSOR, CURSOR, arrow);
  drv_set_mode(d, 0, e->mode);
  drv_fill(d, 0, 0, 0, e->width, e->height, WALL);
  for (int i = 0; i < 3; i++) {
    const struct window* w = &WINDOWS[i];
    double x = js_round(width * w->x), y = js_round(height * w->y);
    double ww = js_round(width * w->w), hh = js_round(height * w->h);
    drv_fill(d, 0, js_to_u32(x + 6), js_to_u32(y + 6), js_to_u32(ww), js_to_u32(hh), 0xff0b1a2eu);  // shadow
    drv_fill(d, 0, js_to_u32(x), js_to_u32(y), js_to_u32(ww), js_to_u32(hh), 0xfff1faeeu);
    drv_fill(d, 0, js_to_u32(x), js_to_u32(y), js_to_u32(ww), 24, w->title);
    for (int line = 0; line < 5 && 40 + line * 18 + 8 < hh; line++) {
      double len = js_round(ww * (0.5 + 0.08 * line)) - 32;
      drv_fill(d, 0, js_to_u32(x + 16), js_to_u32(y + 40 + line * 18), js_to_u32(len), 8, 0xffa8dadcu);
    }
  }
  drv_cursor_define(d, 0, WORKLOAD_CTX, SPRITE * SPRITE * 4, CURSOR, CURSOR, 32, CURSOR * 4, 1, 1);
  drv_cursor_show(d, 0, true);
  drv_present(d, 0, 0, 0);
  double band_y, band_h;
  sprite_band(height, &band_y, &band_h);
  e->w.desktop = (struct desktop_state){.sprite_x = 0, .sprite_y = band_y};
}

void desktop_frame(struct env* e, uint32_t n) {
  double width = e->width, height = e->height;
  struct driver* d = e->driver;
  struct desktop_state* s = &e->w.desktop;
  double band_y, band_h;
  sprite_band(height, &band_y, &band_h);
  // The sprite bounces inside the free band at the bottom; erase, then draw at the new place.
  double old_x = s->sprite_x, old_y = s->sprite_y;
  double span = width - SPRITE;
  double t = js_mod_int((double)n * 6, 2 * span);
  s->sprite_x = t < span ? t : 2 * span - t;
  s->sprite_y = band_y + js_round(((js_sin((double)n / 9) + 1) / 2) * (band_h - SPRITE));
  drv_fill(d, 0, js_to_u32(old_x), js_to_u32(old_y), SPRITE, SPRITE, WALL);
  drv_blit(d, 0, WORKLOAD_CTX, 0, SPRITE * 4, js_to_u32(s->sprite_x), js_to_u32(s->sprite_y), SPRITE, SPRITE, true);
  // The clock: frame number, four digits, top right.
  double clock_x = width - 90, clock_y = 8, clock_w = 4 * 20, clock_h = 28;
  drv_fill(d, 0, js_to_u32(clock_x - 4), js_to_u32(clock_y - 4), js_to_u32(clock_w + 4), js_to_u32(clock_h + 8), 0xff000000u);
  uint32_t v = n % 10000;
  const uint32_t digits[4] = {v / 1000, v / 100 % 10, v / 10 % 10, v % 10};  // padStart(4, '0')
  for (int i = 0; i < 4; i++) draw_digit(e, clock_x + i * 20, clock_y, digits[i]);
  guest_input_take(&e->input, follow, e);
  uint32_t cx, cy;
  desktop_cursor_at(&s->cursor, n, e->width, e->height, &cx, &cy);
  drv_cursor_move(d, 0, cx, cy);
  const struct rect rects[2] = {
      {js_to_u32(js_min(old_x, s->sprite_x)), js_to_u32(js_min(old_y, s->sprite_y)), js_to_u32(js_abs(old_x - s->sprite_x) + SPRITE),
       js_to_u32(js_abs(old_y - s->sprite_y) + SPRITE)},
      {js_to_u32(clock_x - 4), js_to_u32(clock_y - 4), js_to_u32(clock_w + 4), js_to_u32(clock_h + 8)},
  };
  drv_present(d, 0, rects, 2);
}
