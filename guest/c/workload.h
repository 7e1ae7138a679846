// workload.ts: what a workload sees (GuestEnv) and the helpers the workloads share.
#ifndef PVG_GUEST_WORKLOAD_H
#define PVG_GUEST_WORKLOAD_H

#include <stdint.h>

#include "desktop_cursor.h"
#include "driver.h"
#include "guest_input.h"
#include "paint.h"
#include "rng.h"

#define WORKLOAD_CTX 1u
#define WORKLOAD_CTX_BYTES (64u * 1024u * 1024u)

struct desktop_state {
  double sprite_x, sprite_y;  // JS numbers: NaN is possible in a degenerate mode (width 48)
  struct desktop_cursor cursor;
};

struct hostile_state {
  uint64_t ro;  // the page mapped read-only in RO_CTX
};

struct paint_workload {
  struct paint paint;
};

struct env {
  struct driver* driver;
  struct rng rng;
  uint32_t mode;            // display 0's mode index, as clamped
  uint32_t width, height;   // current(env): that mode's size
  uint32_t damage_percent;  // unused by the workloads ported here
  uint64_t gfx_base;
  struct guest_input input;  // started by the workloads that use input (desktop, paint)
  union {
    struct desktop_state desktop;
    struct hostile_state hostile;
    struct paint_workload paint;
  } w;
};

/** A context with `bytes` of fresh guest RAM mapped at va 0; returns the RAM's address. */
uint64_t mapped_buffer(struct env* e, uint32_t ctx, uint64_t bytes);
/** writeImage: pixel(x, y) for a w×h ARGB image at gpa (rows w*4 bytes apart). */
void write_image(uint64_t gpa, uint32_t w, uint32_t h, uint32_t (*pixel)(uint32_t x, uint32_t y));

void desktop_setup(struct env* e);
void desktop_frame(struct env* e, uint32_t n);
void fullframe_setup(struct env* e);
void fullframe_frame(struct env* e, uint32_t n);
void hostile_setup(struct env* e);
void hostile_frame(struct env* e, uint32_t n);
void paint_setup(struct env* e);
void paint_frame(struct env* e, uint32_t n);

#endif
