// page-allocator.ts: a bump allocator of whole guest-physical pages over [base, end).
#ifndef PVG_GUEST_PAGES_H
#define PVG_GUEST_PAGES_H

#include <stdint.h>

#define PVG_PAGE 4096u

struct pages {
  uint64_t base, end, next;
};

/** FAILs (PVG_FAIL_BOOT) unless the range is page-aligned and non-empty. */
void pages_init(struct pages* p, uint64_t base, uint64_t end);
/** Whole pages for `bytes`; FAILs (PVG_FAIL_DRIVER) when the range is exhausted. */
uint64_t pages_allocate(struct pages* p, uint64_t bytes);
/** ceil(bytes / 4096) * 4096. */
static inline uint64_t pages_round_up(uint64_t bytes) { return (bytes + PVG_PAGE - 1) / PVG_PAGE * PVG_PAGE; }

#endif
