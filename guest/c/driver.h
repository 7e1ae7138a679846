// driver.ts: registers, the command ring and every command encoding, word for word.
#ifndef PVG_GUEST_DRIVER_H
#define PVG_GUEST_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "pages.h"

struct driver {
  uint64_t gfx;    // gfx window
  uint64_t iosfc;  // IOSurface window, 0 when the device has none (PCI variant)
  struct pages* pages;
  uint64_t ring_gpa;
  uint32_t payload;  // ring bytes after the header
  uint32_t tail, head;
  bool running;  // the TS driver's ringView != null
  bool dirty;    // doorbell only when something was queued since the last one
};

/** What probe() finds that the workloads use: display 0's chosen mode. */
struct probe_info {
  uint32_t mode_count;  // of display 0
  uint32_t width, height;
};

struct rect {
  uint32_t x, y, w, h;
};

void drv_init(struct driver* d, uint64_t gfx, struct pages* pages, uint64_t iosfc);
uint32_t drv_reg(struct driver* d, uint32_t offset);
/** driver.ts completedFence: the last completed fence, from the ring header (no VM exit). */
uint32_t drv_completed_fence(struct driver* d);
void drv_set_reg(struct driver* d, uint32_t offset, uint32_t value);
/**
 * driver.ts takeIrqCauses, for the interrupt handler (which has no driver at hand, only the boot
 * block): the causes since the last call, from the header of the ring at ring_gpa (0: none runs)
 * when it has them, else from IRQ_STATUS of the gfx window at gfx.
 */
uint32_t drv_take_irq_causes(uint64_t gfx, uint64_t ring_gpa);

/**
 * The same register reads and writes as PvgDriver.probe(); keeps display 0's mode number
 * min(want_mode, count - 1). FAILs if there is no device or display 0 has no mode.
 */
void drv_probe(struct driver* d, uint32_t want_mode, struct probe_info* out);
void drv_reset(struct driver* d);
void drv_start_ring(struct driver* d, uint32_t bytes);
void drv_ack_errors(struct driver* d);
const char* drv_error_name(uint32_t code);

/** Queues one command (header included); waits for ring space if needed. */
void drv_submit_raw(struct driver* d, const uint32_t* words, uint32_t count);
void drv_flush(struct driver* d);
/** Flushes, then polls RING_HEAD until the device has consumed everything queued. */
void drv_wait_idle(struct driver* d);

void drv_ctx_create(struct driver* d, uint32_t ctx, uint64_t bytes);
void drv_map1(struct driver* d, uint32_t ctx, uint64_t va, uint64_t gpa, uint64_t length, bool read_only);
void drv_unmap(struct driver* d, uint32_t ctx, uint64_t va, uint64_t length);
void drv_read_mem(struct driver* d, uint32_t ctx, uint64_t va, uint64_t gpa, uint32_t length);
void drv_set_mode(struct driver* d, uint32_t display, uint32_t mode);
void drv_fill(struct driver* d, uint32_t display, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t argb);
void drv_blit(struct driver* d, uint32_t display, uint32_t ctx, uint64_t va, uint32_t stride, uint32_t dx, uint32_t dy, uint32_t w, uint32_t h, bool alpha);
void drv_present(struct driver* d, uint32_t display, const struct rect* rects, uint32_t count);
void drv_cursor_define(struct driver* d, uint32_t display, uint32_t ctx, uint64_t va, uint32_t w, uint32_t h, uint32_t bpp, uint32_t stride, uint32_t hot_x,
                       uint32_t hot_y);
void drv_cursor_show(struct driver* d, uint32_t display, bool show);
void drv_cursor_move(struct driver* d, uint32_t display, uint32_t x, uint32_t y);
void drv_fence(struct driver* d, uint32_t value, bool interrupt);

#endif
