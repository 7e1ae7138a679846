#include "pages.h"

#include "fail.h"
#include "io.h"

void pages_init(struct pages* p, uint64_t base, uint64_t end) {
  if (base % PVG_PAGE != 0 || end % PVG_PAGE != 0 || end <= base) {
    fail(PVG_FAIL_BOOT, "allocator range must be page-aligned and non-empty");
  }
  p->base = base;
  p->end = end;
  p->next = base;
}

uint64_t pages_allocate(struct pages* p, uint64_t bytes) {
  uint64_t size = pages_round_up(bytes);
  if (size == 0 || size > p->end - p->next) {
    struct msg m;
    msg_init(&m);
    msg_str(&m, "guest RAM exhausted: ");
    msg_dec(&m, bytes);
    msg_str(&m, " bytes wanted, ");
    msg_dec(&m, p->end - p->next);
    msg_str(&m, " left");
    fail_msg(boot_block(), PVG_FAIL_DRIVER, &m);
  }
  uint64_t at = p->next;
  p->next += size;
  return at;
}
