// Host build of the machine-code guest's input path (input_queue.c, input_report.c, paint.c,
// input_tables.c) for test/guest/c/guest-input.test.ts. A stand-in device writes events into two
// event queues as the virtio-input device does (a used entry, then the used index); the guest's
// code takes them and paints, and every command it would issue is printed. Lines on stdin:
//   mode W H        paint_init and the canvas (setup's fills)
//   k TYPE CODE V   the keyboard device writes an event     t TYPE CODE V   the tablet
//   raw k|t ID LEN  a used entry as a misbehaving device writes it (no buffer consumed)
//   frame           the frame step: take both queues (keyboard first), apply, paint_end
//   tables          the keymap (codes 0..255, plain and shifted) and every printable glyph
//   cursor          the crosshair's 15×15 pixels, row by row
// Output: fill X Y W H ARGB | move X Y | present X Y W H, each group ended by canvas (after mode) or
// frame EVENTS AVAIL_K AVAIL_T; key CODE PLAIN SHIFTED | glyph CHAR ROWS... | pixel ARGB
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_queue.h"
#include "input_report.h"
#include "input_tables.h"
#include "paint.h"

struct paint_out {
  int unused;
};

void paint_out_fill(struct paint_out* o, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t argb) {
  (void)o;
  printf("fill %d %d %d %d %u\n", (int32_t)x, (int32_t)y, (int32_t)w, (int32_t)h, argb);
}
void paint_out_cursor_move(struct paint_out* o, uint32_t x, uint32_t y) {
  (void)o;
  printf("move %u %u\n", x, y);
}
void paint_out_present(struct paint_out* o, const struct paint_rect* r) {
  (void)o;
  printf("present %d %d %d %d\n", r->x, r->y, r->w, r->h);
}

/** The stand-in device's side of one queue: where it is in the available ring. */
struct device_queue {
  struct input_queue guest;
  uint8_t* page;
  uint16_t next_avail, used_idx;
};

static uint16_t rd16(const uint8_t* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

static void publish_used(struct device_queue* q, uint32_t id, uint32_t len) {
  uint8_t* slot = q->page + IQ_USED + 4 + 8 * (q->used_idx % IQ_SIZE);
  memcpy(slot, &id, 4);
  memcpy(slot + 4, &len, 4);
  q->used_idx++;
  __atomic_store_n((uint16_t*)(q->page + IQ_USED + 2), q->used_idx, __ATOMIC_RELEASE);
}

/** The device's event path: the next available buffer, the event into it, a used entry of 8 bytes. */
static void device_write(struct device_queue* q, uint16_t type, uint16_t code, int32_t value) {
  if (rd16(q->page + IQ_AVAIL + 2) == q->next_avail) {
    fprintf(stderr, "no buffer available\n");
    exit(2);
  }
  uint16_t id = rd16(q->page + IQ_AVAIL + 4 + 2 * (q->next_avail % IQ_SIZE));
  q->next_avail++;
  uint64_t addr;
  memcpy(&addr, q->page + IQ_DESC + 16 * id, 8);
  uint8_t* buf = (uint8_t*)(uintptr_t)addr;
  memcpy(buf, &type, 2);
  memcpy(buf + 2, &code, 2);
  memcpy(buf + 4, &value, 4);
  publish_used(q, id, 8);
}

static void setup_queue(struct device_queue* q) {
  q->page = aligned_alloc(IQ_PAGE, IQ_PAGE);
  iq_init(&q->guest, q->page, (uint64_t)(uintptr_t)q->page);
  q->next_avail = 0;
  q->used_idx = 0;
}

static void print_tables(void) {
  for (uint32_t code = 0; code < 256; code++) {
    char plain = key_char(code, false), shifted = key_char(code, true);
    if (plain || shifted) printf("key %u %d %d\n", code, plain, shifted);
  }
  for (int ch = 32; ch < 127; ch++) {
    const uint8_t* rows = glyph_rows((char)ch);
    printf("glyph %d %u %u %u %u %u\n", ch, rows[0], rows[1], rows[2], rows[3], rows[4]);
  }
}

int main(void) {
  static struct paint p;
  struct paint_out o = {0};
  struct pointer_decoder pointer = {0};
  struct device_queue kbd, tab;
  setup_queue(&kbd);
  setup_queue(&tab);
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    char dev;
    unsigned w, h, id, len;
    int type, code, value;
    if (sscanf(line, "mode %u %u", &w, &h) == 2) {
      paint_init(&p, w, h);
      paint_draw_canvas(&p, &o);
      printf("canvas\n");
    } else if (sscanf(line, "raw %c %u %u", &dev, &id, &len) == 3) {
      publish_used(dev == 'k' ? &kbd : &tab, id, len);
    } else if (sscanf(line, "%c %d %d %d", &dev, &type, &code, &value) == 4 && (dev == 'k' || dev == 't')) {
      device_write(dev == 'k' ? &kbd : &tab, (uint16_t)type, (uint16_t)code, value);
    } else if (strncmp(line, "frame", 5) == 0) {
      struct input_event events[IQ_SIZE];
      struct input_report r;
      uint32_t consumed, taken = 0;
      paint_begin(&p);
      while (iq_pending(&kbd.guest)) {
        uint32_t n = iq_take(&kbd.guest, events, &consumed);
        taken += n;
        for (uint32_t i = 0; i < n; i++)
          if (key_report(&events[i], &r)) paint_apply(&p, &o, &r);
      }
      while (iq_pending(&tab.guest)) {
        uint32_t n = iq_take(&tab.guest, events, &consumed);
        taken += n;
        for (uint32_t i = 0; i < n; i++)
          if (pointer_feed(&pointer, &events[i], &r)) paint_apply(&p, &o, &r);
      }
      paint_end(&p, &o);
      printf("frame %u %u %u\n", taken, rd16(kbd.page + IQ_AVAIL + 2), rd16(tab.page + IQ_AVAIL + 2));
    } else if (strncmp(line, "cursor", 6) == 0) {
      for (uint32_t y = 0; y < PAINT_CURSOR; y++)
        for (uint32_t x = 0; x < PAINT_CURSOR; x++) printf("pixel %u\n", paint_crosshair(x, y));
    } else if (strncmp(line, "tables", 6) == 0) {
      print_tables();
    }
  }
  return 0;
}
