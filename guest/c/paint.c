#include "paint.h"

#include "input_tables.h"
#include "protocol.h"

#define BOX_FILL 0xffffffffu
#define BOX_EDGE 0xff457b9du
#define PEN 6
#define ERASER 24
#define SCALE 4  // dots per glyph dot
#define ADVANCE ((int32_t)(GLYPH_WIDTH + 1) * SCALE)
#define LINE ((int32_t)(GLYPH_HEIGHT + 2) * SCALE)
#define BOX_X 20
#define BOX_Y 20
#define BOX_H (3 * LINE + 2 * SCALE)

static inline int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t box_w(const struct paint* p) { return (int32_t)p->width - 40; }

/** floor(n / d) for d > 0. */
static int64_t floor_div(int64_t n, int64_t d) { return n >= 0 ? n / d : -((-n + d - 1) / d); }
/** Math.round(n / d) for d > 0: half rounds up, as floor(n / d + 1/2). */
static int64_t round_div(int64_t n, int64_t d) { return floor_div(2 * n + d, 2 * d); }

uint32_t paint_crosshair(uint32_t x, uint32_t y) {
  int32_t dx = (int32_t)x - (PAINT_CURSOR - 1) / 2, dy = (int32_t)y - (PAINT_CURSOR - 1) / 2;
  if (dx < 0) dx = -dx;
  if (dy < 0) dy = -dy;
  if (dx <= 1 && dy <= 1) return 0;
  if (dx == 0 || dy == 0) return 0xff000000u;
  if (dx == 1 || dy == 1) return 0xffffffffu;
  return 0;
}

/** Characters per line: floor((box width - 4 dots) / ADVANCE), at most PAINT_LINE_MAX. */
static uint32_t per_line(const struct paint* p) {
  int64_t n = floor_div(box_w(p) - 4 * SCALE, ADVANCE);
  if (n < 0) return 0;
  return n > (int64_t)PAINT_LINE_MAX ? PAINT_LINE_MAX : (uint32_t)n;
}

static void grow(struct paint* p, struct paint_rect r) {
  if (!p->damaged) {
    p->damaged = true;
    p->damage = r;
    return;
  }
  struct paint_rect* d = &p->damage;
  int32_t x1 = max32(d->x + d->w, r.x + r.w), y1 = max32(d->y + d->h, r.y + r.h);
  d->x = min32(d->x, r.x);
  d->y = min32(d->y, r.y);
  d->w = x1 - d->x;
  d->h = y1 - d->y;
}

static void fill(struct paint_out* o, int32_t x, int32_t y, int32_t w, int32_t h, uint32_t argb) {
  paint_out_fill(o, (uint32_t)x, (uint32_t)y, (uint32_t)w, (uint32_t)h, argb);
}

/** A square of `size` around (x, y), clipped to the canvas (the frame below the text box). */
static void dab(struct paint* p, struct paint_out* o, int32_t x, int32_t y, int32_t size, uint32_t argb) {
  int32_t top = BOX_Y + BOX_H + 1;
  int32_t x0 = max32(0, x - (size >> 1)), y0 = max32(top, y - (size >> 1));
  int32_t x1 = min32((int32_t)p->width, x - (size >> 1) + size), y1 = min32((int32_t)p->height, y - (size >> 1) + size);
  if (x1 <= x0 || y1 <= y0) return;
  struct paint_rect r = {x0, y0, x1 - x0, y1 - y0};
  fill(o, r.x, r.y, r.w, r.h, argb);
  grow(p, r);
}

/** The smallest r with r * r >= n. */
static uint64_t sqrt_ceil(uint64_t n) {
  uint64_t lo = 0, hi = 1u << 20;  // n < 2^40 here (twice a 65535-pixel frame's diagonal, squared)
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (mid * mid >= n)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/** Dabs from the last position to (x, y), half a brush apart: max(1, ceil(hypot / half)) steps. */
static void stroke(struct paint* p, struct paint_out* o, int32_t x, int32_t y, int32_t size, uint32_t argb) {
  int32_t fx = p->has_last ? p->last_x : x, fy = p->has_last ? p->last_y : y;
  int64_t dx = (int64_t)x - fx, dy = (int64_t)y - fy;
  int64_t half = max32(1, size >> 1);
  // ceil(sqrt(d2) / half) = ceil(ceil(sqrt(d2)) / half): k * half is an integer.
  int64_t steps = ((int64_t)sqrt_ceil((uint64_t)(dx * dx + dy * dy)) + half - 1) / half;
  if (steps < 1) steps = 1;
  for (int64_t i = 1; i <= steps; i++) dab(p, o, fx + (int32_t)round_div(dx * i, steps), fy + (int32_t)round_div(dy * i, steps), size, argb);
}

static void draw_text(struct paint* p, struct paint_out* o) {
  int32_t bw = box_w(p);
  fill(o, BOX_X, BOX_Y, bw, BOX_H, BOX_EDGE);
  fill(o, BOX_X + 2, BOX_Y + 2, bw - 4, BOX_H - 4, BOX_FILL);
  for (uint32_t row = 0; row < p->lines; row++) {
    for (uint32_t i = 0; i < p->len[row]; i++) {
      int32_t gx = BOX_X + 2 * SCALE + (int32_t)i * ADVANCE, gy = BOX_Y + 2 * SCALE + (int32_t)row * LINE;
      const uint8_t* rows = glyph_rows(p->text[row][i]);
      // glyphs.ts glyphRuns: each row's runs of set dots, left to right.
      for (int32_t ry = 0; ry < (int32_t)GLYPH_HEIGHT; ry++) {
        for (int32_t rx = 0; rx < (int32_t)GLYPH_WIDTH; rx++) {
          if (!(rows[ry] >> (GLYPH_WIDTH - 1 - rx) & 1)) continue;
          int32_t end = rx;
          while (end + 1 < (int32_t)GLYPH_WIDTH && (rows[ry] >> (GLYPH_WIDTH - 2 - end) & 1)) end++;
          fill(o, gx + rx * SCALE, gy + ry * SCALE, (end - rx + 1) * SCALE, SCALE, PAINT_TEXT);
          rx = end;
        }
      }
    }
  }
  // The caret after the last character.
  uint32_t row = p->lines - 1;
  fill(o, BOX_X + 2 * SCALE + (int32_t)p->len[row] * ADVANCE, BOX_Y + 2 * SCALE + (int32_t)row * LINE, SCALE / 2, (int32_t)GLYPH_HEIGHT * SCALE, BOX_EDGE);
  grow(p, (struct paint_rect){BOX_X, BOX_Y, bw, BOX_H});
}

static void type(struct paint* p, struct paint_out* o, uint32_t code) {
  uint32_t row = p->lines - 1;
  if (code == KEY_BACKSPACE) {
    if (p->len[row] > 0)
      p->len[row]--;
    else if (row > 0)
      p->lines--;
  } else if (code == KEY_ENTER) {
    p->len[p->lines++] = 0;
  } else {
    char ch = key_char(code, p->shift);
    if (ch == 0) return;
    if (p->len[row] >= per_line(p)) p->len[p->lines++] = 0;
    uint32_t last = p->lines - 1;
    // A box too narrow for one character still takes it (as the TypeScript guest's does) up to the buffer.
    if (p->len[last] < PAINT_LINE_MAX) p->text[last][p->len[last]++] = ch;
  }
  // A full box starts over with the line being typed.
  if (p->lines > 3) {
    for (uint32_t i = 0; i < p->len[3]; i++) p->text[0][i] = p->text[3][i];
    p->len[0] = p->len[3];
    p->lines = 1;
  }
  draw_text(p, o);
}

void paint_init(struct paint* p, uint32_t width, uint32_t height) {
  *p = (struct paint){.width = width, .height = height, .x = (int32_t)(width >> 1), .y = (int32_t)(height >> 1), .lines = 1};
}

void paint_draw_canvas(struct paint* p, struct paint_out* o) {
  fill(o, 0, 0, (int32_t)p->width, (int32_t)p->height, PAINT_BACKGROUND);
  draw_text(p, o);
  p->damaged = false;
}

void paint_begin(struct paint* p) {
  p->before_x = p->x;
  p->before_y = p->y;
}

void paint_apply(struct paint* p, struct paint_out* o, const struct input_report* r) {
  if (r->kind == REPORT_KEY) {
    if (r->code == KEY_LEFTSHIFT || r->code == KEY_RIGHTSHIFT)
      p->shift = r->down;
    else if (r->down)
      type(p, o, r->code);
    return;
  }
  p->x = axis_to_pixel(r->x, p->width);
  p->y = axis_to_pixel(r->y, p->height);
  p->buttons = r->buttons;
  if (r->buttons & 1)
    stroke(p, o, p->x, p->y, PEN, PAINT_PEN);
  else if (r->buttons & 4)
    stroke(p, o, p->x, p->y, ERASER, PAINT_BACKGROUND);
  p->has_last = (r->buttons & 5) != 0;
  p->last_x = p->x;
  p->last_y = p->y;
}

void paint_end(struct paint* p, struct paint_out* o) {
  if (p->x != p->before_x || p->y != p->before_y) paint_out_cursor_move(o, (uint32_t)p->x, (uint32_t)p->y);
  if (p->damaged) paint_out_present(o, &p->damage);
  p->damaged = false;
}
