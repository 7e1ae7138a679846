// paint.ts on the machine-code guest: the display's virtio-input keyboard and tablet (virtio-mmio
// devices 2k and 2k + 1 for the boot block's input_binding k) drive paint.c. A frame takes every
// event since the last (keyboard first, then tablet, as guest-input.ts take() does); with no
// report it waits for input through one HALT (the host resumes within 100 ms even without an
// interrupt, so the vCPU still answers its control plane), then takes again.
#include "boot_abi.h"
#include "io.h"
#include "paint.h"
#include "virtio_input.h"
#include "workload.h"

struct paint_out {
  struct driver* driver;
};

void paint_out_fill(struct paint_out* o, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t argb) { drv_fill(o->driver, 0, x, y, w, h, argb); }
void paint_out_cursor_move(struct paint_out* o, uint32_t x, uint32_t y) { drv_cursor_move(o->driver, 0, x, y); }
void paint_out_present(struct paint_out* o, const struct paint_rect* r) {
  const struct rect rect = {(uint32_t)r->x, (uint32_t)r->y, (uint32_t)r->w, (uint32_t)r->h};
  drv_present(o->driver, 0, &rect, 1);
}

static bool has_input(const struct env* e) { return e->w.paint.has_input; }

void paint_setup(struct env* e) {
  struct paint_workload* w = &e->w.paint;
  volatile struct pvg_boot* b = boot_block();
  w->has_input = b->input_binding != PVG_NO_INPUT;
  // The virtio-input queues come after the GPU driver's pages, as program.ts allocates them.
  if (w->has_input) {
    virtio_input_start(&w->keyboard, 2 * b->input_binding, e->driver->pages);
    virtio_input_start(&w->tablet, 2 * b->input_binding + 1, e->driver->pages);
  }
  struct driver* d = e->driver;
  uint64_t gpa = mapped_buffer(e, WORKLOAD_CTX, PAINT_CURSOR * PAINT_CURSOR * 4);
  write_image(gpa, PAINT_CURSOR, PAINT_CURSOR, paint_crosshair);
  drv_set_mode(d, 0, e->mode);
  struct paint_out o = {d};
  paint_init(&w->paint, e->width, e->height);
  paint_draw_canvas(&w->paint, &o);
  const uint32_t hot = (PAINT_CURSOR - 1) / 2;
  drv_cursor_define(d, 0, WORKLOAD_CTX, 0, PAINT_CURSOR, PAINT_CURSOR, 32, PAINT_CURSOR * 4, hot, hot);
  drv_cursor_move(d, 0, (uint32_t)w->paint.x, (uint32_t)w->paint.y);
  drv_cursor_show(d, 0, true);
  drv_present(d, 0, 0, 0);
}

/** Takes every event both devices have and applies the reports they make; returns how many reports. */
static uint32_t take_reports(struct env* e, struct paint_out* o) {
  struct paint_workload* w = &e->w.paint;
  volatile struct pvg_boot* b = boot_block();
  struct input_event events[IQ_SIZE];
  struct input_report r;
  uint32_t reports = 0;
  while (iq_pending(&w->keyboard.queue)) {
    uint32_t n = virtio_input_take(&w->keyboard, events);
    b->input_events_taken += n;
    for (uint32_t i = 0; i < n; i++) {
      if (key_report(&events[i], &r)) paint_apply(&w->paint, o, &r), reports++;
    }
  }
  while (iq_pending(&w->tablet.queue)) {
    uint32_t n = virtio_input_take(&w->tablet, events);
    b->input_events_taken += n;
    for (uint32_t i = 0; i < n; i++) {
      if (pointer_feed(&w->pointer, &events[i], &r)) paint_apply(&w->paint, o, &r), reports++;
    }
  }
  return reports;
}

/** One HALT unless a device already has events (the interrupt count is read before the check: main.c wait_fence). */
static void wait_for_input(struct env* e) {
  volatile struct pvg_boot* b = boot_block();
  uint32_t handled = b->interrupts_handled;
  if (has_input(e) && (iq_pending(&e->w.paint.keyboard.queue) || iq_pending(&e->w.paint.tablet.queue))) return;
  b->halts++;
  hypercall(PVG_HC_HALT, handled);
}

void paint_frame(struct env* e, uint32_t n) {
  (void)n;
  struct paint_out o = {e->driver};
  struct paint* p = &e->w.paint.paint;
  paint_begin(p);
  if (!has_input(e)) return wait_for_input(e);
  if (take_reports(e, &o) == 0) {
    wait_for_input(e);
    take_reports(e, &o);
  }
  paint_end(p, &o);
}
