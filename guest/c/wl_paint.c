// paint.ts on the machine-code guest: the display's virtio-input keyboard and tablet (guest_input.c:
// virtio devices 2k and 2k + 1 for the boot block's input_binding k, over virtio-mmio or
// virtio-pci) drive paint.c. A frame takes every
// event since the last (keyboard first, then tablet, as guest-input.ts take() does); with no
// report it waits for input through one HALT (the host resumes within 100 ms even without an
// interrupt, so the vCPU still answers its control plane), then takes again.
#include "boot_abi.h"
#include "io.h"
#include "paint.h"
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

/** guest_input_take's callback: every report goes to paint. */
struct apply_ctx {
  struct paint* paint;
  struct paint_out* out;
};
static void apply(void* ctx, const struct input_report* r) {
  struct apply_ctx* c = ctx;
  paint_apply(c->paint, c->out, r);
}

void paint_setup(struct env* e) {
  struct paint_workload* w = &e->w.paint;
  // The virtio-input queues come after the GPU driver's pages, as program.ts allocates them.
  guest_input_start(&e->input, e->driver->pages);
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

void paint_frame(struct env* e, uint32_t n) {
  (void)n;
  struct paint_out o = {e->driver};
  struct paint* p = &e->w.paint.paint;
  struct apply_ctx c = {p, &o};
  paint_begin(p);
  if (!e->input.present) return guest_input_wait(&e->input);
  if (guest_input_take(&e->input, apply, &c) == 0) {
    guest_input_wait(&e->input);
    guest_input_take(&e->input, apply, &c);
  }
  paint_end(p, &o);
}
