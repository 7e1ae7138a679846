// fullframe.ts: every frame a full-frame fill and a column of 256x256 blits, whole-frame present.
#include "workload.h"

#define TILE 256u

static uint32_t tile(uint32_t x, uint32_t y) { return 0xff000000u | (x << 16) | (y << 8) | ((x ^ y) & 0xffu); }

void fullframe_setup(struct env* e) {
  uint64_t gpa = mapped_buffer(e, WORKLOAD_CTX, TILE * TILE * 4);
  write_image(gpa, TILE, TILE, tile);
  drv_set_mode(e->driver, 0, e->mode);
}

void fullframe_frame(struct env* e, uint32_t n) {
  struct driver* d = e->driver;
  int64_t width = e->width, height = e->height;
  // n * 0x010305 < 2^49: exact in a double, so the JS `& 0xffffff` keeps its low 24 bits.
  drv_fill(d, 0, 0, 0, e->width, e->height, 0xff000000u | (uint32_t)(((uint64_t)n * 0x010305u) & 0xffffffu));
  int64_t m = width - TILE > 1 ? width - TILE : 1;  // Math.max(1, width - TILE)
  uint32_t dx = (uint32_t)(((int64_t)n * 16) % m);
  for (int64_t y = 0; y + TILE <= height; y += TILE) drv_blit(d, 0, WORKLOAD_CTX, 0, TILE * 4, dx, (uint32_t)y, TILE, TILE, false);
  drv_present(d, 0, 0, 0);
}
