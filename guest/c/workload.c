#include "workload.h"

#include "io.h"
#include "pages.h"

uint64_t mapped_buffer(struct env* e, uint32_t ctx, uint64_t bytes) {
  uint64_t size = pages_round_up(bytes);
  uint64_t gpa = pages_allocate(e->driver->pages, size);
  drv_ctx_create(e->driver, ctx, WORKLOAD_CTX_BYTES);
  drv_map1(e->driver, ctx, 0, gpa, size, false);
  return gpa;
}

void write_image(uint64_t gpa, uint32_t w, uint32_t h, uint32_t (*pixel)(uint32_t x, uint32_t y)) {
  for (uint32_t y = 0; y < h; y++) {
    for (uint32_t x = 0; x < w; x++) ram_write32(gpa + ((uint64_t)y * w + x) * 4, pixel(x, y));
  }
}
