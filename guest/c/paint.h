// paint.ts's drawing, without the device: the state a report changes and the commands it issues
// (pen and eraser dabs joined at half-brush steps, the text box and its glyphs, the cursor's move
// and the bounding-box PRESENT). Commands go out through paint_out_*, which wl_paint.c turns into
// the driver's commands and the host test's sim/input_dump.c prints, so the same code runs in both.
// All integer: the TypeScript's Math.round/ceil/hypot on small integers are exact here.
#ifndef PVG_GUEST_PAINT_H
#define PVG_GUEST_PAINT_H

#include <stdbool.h>
#include <stdint.h>

#include "input_report.h"

#define PAINT_BACKGROUND 0xfff8f8f2u
#define PAINT_PEN 0xff1d3557u
#define PAINT_TEXT 0xff000000u
#define PAINT_CURSOR 15u
/**
 * Characters a text line holds at most: the box's own limit for frames up to 8232 pixels wide
 * (beyond that a line wraps earlier than the TypeScript guest's would).
 */
#define PAINT_LINE_MAX 512u

struct paint_rect {
  int32_t x, y, w, h;
};

struct paint {
  uint32_t width, height;
  int32_t x, y;
  uint32_t buttons;
  bool shift;
  bool has_last;  // the pointer's position at the last report of a stroke, for joining its dots
  int32_t last_x, last_y;
  uint32_t lines;  // 1..3 between reports (4 for a moment while a line is added)
  uint32_t len[4];
  char text[4][PAINT_LINE_MAX];
  bool damaged;
  struct paint_rect damage;
  int32_t before_x, before_y;  // the cursor at paint_begin
};

/** Where the commands go (the guest's driver, or the host test's printer). */
struct paint_out;
void paint_out_fill(struct paint_out* o, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t argb);
void paint_out_cursor_move(struct paint_out* o, uint32_t x, uint32_t y);
void paint_out_present(struct paint_out* o, const struct paint_rect* r);

/** The crosshair cursor's pixel (x, y): black arms with a white edge, clear middle. */
uint32_t paint_crosshair(uint32_t x, uint32_t y);
/** State for a width×height frame: the pointer in the middle, no text. */
void paint_init(struct paint* p, uint32_t width, uint32_t height);
/** The empty canvas and text box (setup); leaves nothing to present. */
void paint_draw_canvas(struct paint* p, struct paint_out* o);
/** A frame: paint_begin, paint_apply for each report in order, paint_end (cursor move, PRESENT). */
void paint_begin(struct paint* p);
void paint_apply(struct paint* p, struct paint_out* o, const struct input_report* r);
void paint_end(struct paint* p, struct paint_out* o);

#endif
