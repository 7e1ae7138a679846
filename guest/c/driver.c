// driver.ts in C. Ring words are stored in guest RAM (identity-mapped) and the tail goes to the
// ring header and DOORBELL exactly as the TS driver does; MMIO helpers are compiler barriers,
// so every ring store is emitted before the doorbell that publishes it.
#include "driver.h"

#include <stddef.h>

#include "fail.h"
#include "io.h"
#include "protocol.h"

// waitForSpace's bound, as in driver.ts.
#define SPACE_SPINS 1000000u
// waitIdle polls: the TS driver waits 10 s by the clock; the guest has no calibrated clock, so
// it counts RING_HEAD reads instead (each one a VM exit: ~10 s at 5 us per exit).
#define IDLE_POLLS 2000000u

static const char* const error_names[PVG_ERROR_KINDS] = {
    "none",         "bad-register", "bad-ring-setup", "bad-command", "bad-context", "bad-mapping",  "bad-unmap",
    "access-fault", "bad-display",  "bad-rect",       "bad-cursor",  "bad-surface", "host-refused",
};

const char* drv_error_name(uint32_t code) { return code < PVG_ERROR_KINDS ? error_names[code] : "error-?"; }

static inline uint32_t lo(uint64_t v) { return (uint32_t)v; }
static inline uint32_t hi(uint64_t v) { return (uint32_t)(v >> 32); }

__attribute__((noreturn)) static void driver_fail(const char* what, const char* detail) {
  struct msg m;
  msg_init(&m);
  msg_str(&m, what);
  msg_str(&m, detail);
  fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
}

void drv_init(struct driver* d, uint64_t gfx, struct pages* pages, uint64_t iosfc) { *d = (struct driver){.gfx = gfx, .iosfc = iosfc, .pages = pages}; }

uint32_t drv_reg(struct driver* d, uint32_t offset) { return mmio_read32(d->gfx + offset); }

uint32_t drv_completed_fence(struct driver* d) {
  // The engine writes the fence into the ring header before it raises the fence's interrupt.
  return d->ring_gpa != 0 ? ram_read32(d->ring_gpa + PVG_RING_HEADER_FENCE) : drv_reg(d, PVG_REG_FENCE_COMPLETED);
}

void drv_set_reg(struct driver* d, uint32_t offset, uint32_t value) { mmio_write32(d->gfx + offset, value); }

uint32_t drv_take_irq_causes(uint64_t gfx, uint64_t ring_gpa) {
  // An atomic exchange on the header's word: no VM exit. An error is acknowledged in IRQ_STATUS too.
  if (ring_gpa != 0) {
    uint32_t causes = __atomic_exchange_n((uint32_t*)(uintptr_t)(ring_gpa + PVG_RING_HEADER_IRQ), 0u, __ATOMIC_SEQ_CST);
    if (causes != 0) {
      if (causes & PVG_IRQ_CAUSE_ERROR) mmio_write32(gfx + PVG_REG_IRQ_ACK, PVG_IRQ_CAUSE_ERROR);
      return causes;
    }
  }
  uint32_t causes = mmio_read32(gfx + PVG_REG_IRQ_STATUS);
  if (causes != 0) mmio_write32(gfx + PVG_REG_IRQ_ACK, causes);
  return causes;
}

void drv_probe(struct driver* d, uint32_t want_mode, struct probe_info* out) {
  uint32_t id = drv_reg(d, PVG_REG_ID);
  if (id != PVG_ID) {
    struct msg m;
    msg_init(&m);
    msg_str(&m, "no pvg device at ");
    msg_hex(&m, d->gfx);
    msg_str(&m, " (ID ");
    msg_hex(&m, id);
    msg_str(&m, ")");
    fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
  }
  *out = (struct probe_info){0};
  uint32_t chosen = 0;
  uint32_t count = drv_reg(d, PVG_REG_DISPLAY_COUNT);
  for (uint32_t disp = 0; disp < count; disp++) {
    drv_set_reg(d, PVG_REG_DISPLAY_SELECT, disp);
    uint32_t n = drv_reg(d, PVG_REG_MODE_COUNT);
    if (disp == 0) {
      out->mode_count = n;
      chosen = n == 0 ? 0 : (want_mode < n - 1 ? want_mode : n - 1);  // Math.min(mode, length - 1)
    }
    for (uint32_t mode = 0; mode < n; mode++) {
      drv_set_reg(d, PVG_REG_MODE_SELECT, mode);
      uint32_t w = drv_reg(d, PVG_REG_MODE_WIDTH);
      uint32_t h = drv_reg(d, PVG_REG_MODE_HEIGHT);
      (void)drv_reg(d, PVG_REG_MODE_REFRESH);
      if (disp == 0 && mode == chosen) {
        out->width = w;
        out->height = h;
      }
    }
  }
  (void)drv_reg(d, PVG_REG_VERSION);
  (void)drv_reg(d, PVG_REG_FEATURES);
  if (count == 0 || out->mode_count == 0) driver_fail("the device has no display", "");
}

void drv_reset(struct driver* d) {
  drv_set_reg(d, PVG_REG_RESET, PVG_RESET_MAGIC);
  d->running = false;
}

/** driver.ts errors(): the same three reads, in the same order; returns ERROR_CODE. */
static uint32_t read_errors(struct driver* d) {
  uint32_t code = drv_reg(d, PVG_REG_ERROR_CODE);
  (void)drv_reg(d, PVG_REG_STATUS);
  (void)drv_reg(d, PVG_REG_ERROR_COUNT);
  return code;
}

void drv_start_ring(struct driver* d, uint32_t bytes) {
  d->ring_gpa = pages_allocate(d->pages, bytes);
  for (uint32_t at = 0; at < bytes; at += 4) ram_write32(d->ring_gpa + at, 0);
  d->running = true;
  d->payload = bytes - PVG_RING_HEADER_BYTES;
  d->tail = 0;
  d->head = 0;
  drv_set_reg(d, PVG_REG_RING_GPA_LO, lo(d->ring_gpa));
  drv_set_reg(d, PVG_REG_RING_GPA_HI, hi(d->ring_gpa));
  drv_set_reg(d, PVG_REG_RING_SIZE, bytes);
  drv_set_reg(d, PVG_REG_RING_CONTROL, 1);
  if ((drv_reg(d, PVG_REG_STATUS) & PVG_STATUS_RUNNING) == 0) {
    driver_fail("ring did not start: ", drv_error_name(read_errors(d)));
  }
}

void drv_ack_errors(struct driver* d) { drv_set_reg(d, PVG_REG_ERROR_ACK, 1); }

// ------------------------------------------------------------------ the ring

/** Free payload bytes, as driver.ts computes it (in JS numbers: no unsigned wrap). */
static int64_t ring_free(const struct driver* d) {
  int64_t p = d->payload;
  return p - 4 - (((int64_t)d->tail - (int64_t)d->head + p) % p);
}

static void wait_for_space(struct driver* d, uint32_t bytes) {
  if (ring_free(d) >= bytes) return;
  drv_flush(d);
  for (uint32_t spins = 0; ring_free(d) < bytes; spins++) {
    d->head = drv_reg(d, PVG_REG_RING_HEAD);
    if (spins > SPACE_SPINS) driver_fail("the device stopped consuming the ring", "");
  }
}

/** submitRaw over up to three pieces of one command (header, fixed words, a variable tail). */
static void submit(struct driver* d, const uint32_t* a, uint32_t na, const uint32_t* b, uint32_t nb, const uint32_t* c, uint32_t nc) {
  if (!d->running) driver_fail("the ring is not running", "");
  uint64_t words = (uint64_t)na + nb + nc;
  uint64_t bytes = words * 4;
  if (bytes == 0 || bytes > (uint64_t)d->payload - 4) {
    struct msg m;
    msg_init(&m);
    msg_str(&m, "command of ");
    msg_dec(&m, words);
    msg_str(&m, " words does not fit the ring");
    fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
  }
  wait_for_space(d, (uint32_t)bytes);
  const uint32_t* pieces[3] = {a, b, c};
  const uint32_t counts[3] = {na, nb, nc};
  uint32_t at = d->tail;
  for (int p = 0; p < 3; p++) {
    for (uint32_t i = 0; i < counts[p]; i++) {
      ram_write32(d->ring_gpa + PVG_RING_HEADER_BYTES + at, pieces[p][i]);
      at = (at + 4) % d->payload;
    }
  }
  d->tail = at;
  ram_write32(d->ring_gpa + PVG_RING_HEADER_TAIL, d->tail);
  d->dirty = true;
}

void drv_submit_raw(struct driver* d, const uint32_t* words, uint32_t count) { submit(d, words, count, NULL, 0, NULL, 0); }

static void command2(struct driver* d, uint32_t op, const uint32_t* args, uint32_t n, const uint32_t* more, uint32_t nmore) {
  uint64_t total = (uint64_t)n + nmore + 1;
  if (total > PVG_MAX_COMMAND_WORDS) driver_fail("command too long", "");
  uint32_t header = PVG_COMMAND_HEADER(op, total);
  submit(d, &header, 1, args, n, more, nmore);
}

static void command(struct driver* d, uint32_t op, const uint32_t* args, uint32_t n) { command2(d, op, args, n, NULL, 0); }

#define COMMAND(d, op, ...)                                                \
  do {                                                                     \
    const uint32_t args_[] = {__VA_ARGS__};                                \
    command((d), (op), args_, (uint32_t)(sizeof args_ / sizeof args_[0])); \
  } while (0)

void drv_flush(struct driver* d) {
  if (!d->dirty) return;
  d->dirty = false;
  drv_set_reg(d, PVG_REG_DOORBELL, d->tail);
}

void drv_wait_idle(struct driver* d) {
  drv_flush(d);
  uint32_t polls = 0;
  while ((d->head = drv_reg(d, PVG_REG_RING_HEAD)) != d->tail) {
    if (++polls > IDLE_POLLS) driver_fail("ring not consumed", "");
  }
}

// ------------------------------------------------------------------ commands

void drv_ctx_create(struct driver* d, uint32_t ctx, uint64_t bytes) { COMMAND(d, PVG_OP_CTX_CREATE, ctx, lo(bytes), hi(bytes)); }

void drv_map1(struct driver* d, uint32_t ctx, uint64_t va, uint64_t gpa, uint64_t length, bool read_only) {
  COMMAND(d, PVG_OP_MAP, ctx, lo(va), hi(va), read_only ? 1u : 0u, 1u, lo(gpa), hi(gpa), lo(length), hi(length));
}

void drv_unmap(struct driver* d, uint32_t ctx, uint64_t va, uint64_t length) { COMMAND(d, PVG_OP_UNMAP, ctx, lo(va), hi(va), lo(length), hi(length)); }

void drv_read_mem(struct driver* d, uint32_t ctx, uint64_t va, uint64_t gpa, uint32_t length) {
  COMMAND(d, PVG_OP_READ_MEM, ctx, lo(va), hi(va), lo(gpa), hi(gpa), length);
}

void drv_set_mode(struct driver* d, uint32_t display, uint32_t mode) { COMMAND(d, PVG_OP_SET_MODE, display, mode); }

void drv_fill(struct driver* d, uint32_t display, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t argb) {
  COMMAND(d, PVG_OP_FILL_RECT, display, x, y, w, h, argb);
}

void drv_blit(struct driver* d, uint32_t display, uint32_t ctx, uint64_t va, uint32_t stride, uint32_t dx, uint32_t dy, uint32_t w, uint32_t h, bool alpha) {
  COMMAND(d, PVG_OP_BLIT, display, ctx, lo(va), hi(va), stride, dx, dy, w, h, alpha ? 1u : 0u);
}

void drv_present(struct driver* d, uint32_t display, const struct rect* rects, uint32_t count) {
  _Static_assert(sizeof(struct rect) == 16, "a rect is 4 words: x, y, w, h");
  const uint32_t args[] = {display, count};
  command2(d, PVG_OP_PRESENT, args, 2, (const uint32_t*)rects, count * 4);
}

void drv_cursor_define(struct driver* d, uint32_t display, uint32_t ctx, uint64_t va, uint32_t w, uint32_t h, uint32_t bpp, uint32_t stride, uint32_t hot_x,
                       uint32_t hot_y) {
  COMMAND(d, PVG_OP_CURSOR_DEFINE, display, ctx, lo(va), hi(va), w, h, bpp, stride, hot_x, hot_y);
}

void drv_cursor_show(struct driver* d, uint32_t display, bool show) { COMMAND(d, PVG_OP_CURSOR_SHOW, display, show ? 1u : 0u); }

void drv_cursor_move(struct driver* d, uint32_t display, uint32_t x, uint32_t y) { COMMAND(d, PVG_OP_CURSOR_MOVE, display, x, y); }

void drv_fence(struct driver* d, uint32_t value, bool interrupt) { COMMAND(d, PVG_OP_FENCE, value, interrupt ? 1u : 0u); }
