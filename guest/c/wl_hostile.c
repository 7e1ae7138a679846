// hostile.ts: every frame one malformed thing (bad commands, bad mappings, read-only violations,
// bad MMIO offsets and sizes), then a valid frame. The raw MMIO attacks use accessors of the
// stated size, so the vCPU's bus sees the same accesses the TS guest makes.
#include "io.h"
#include "pages.h"
#include "protocol.h"
#include "workload.h"

#define RO_CTX 2u
#define OUTSIDE_RAM 0x1000u
#define ATTACKS 18u

static void attack(struct env* e, uint32_t which, uint64_t ro) {
  struct driver* d = e->driver;
  uint64_t gfx = e->gfx_base;
  switch (which) {
    case 0: {  // unknown opcode
      const uint32_t w[] = {PVG_COMMAND_HEADER(0x7f, 1)};
      drv_submit_raw(d, w, 1);
      break;
    }
    case 1:  // overlapping map
      drv_map1(d, WORKLOAD_CTX, 0, ro, 4096, false);
      break;
    case 2:  // read-only violation
      drv_read_mem(d, RO_CTX, 0, ro, 64);
      break;
    case 3:  // mapping outside RAM
      drv_map1(d, WORKLOAD_CTX, 0x400000, OUTSIDE_RAM, 4096, false);
      break;
    case 4:  // MMIO read of size 2
      (void)mmio_read16(gfx + PVG_REG_STATUS);
      break;
    case 5:  // MMIO write to no register
      mmio_write32(gfx + 0x3000, 1);
      break;
    case 6:  // MMIO read of unassigned space
      (void)mmio_read32(0x1000);
      break;
    case 7:  // map past the context window
      drv_map1(d, WORKLOAD_CTX, 0x3ffff000, ro, 8192, false);
      break;
    case 8: {  // zero-length command header
      const uint32_t w[] = {0};
      drv_submit_raw(d, w, 1);
      break;
    }
    case 9:  // fill outside the frame
      drv_fill(d, 0, 0xfffffff0u, 0, 0x20, 1, 0);
      break;
    case 10:  // unmap what is not mapped
      drv_unmap(d, WORKLOAD_CTX, 0x800000, 4096);
      break;
    case 11:  // context created twice
      drv_ctx_create(d, WORKLOAD_CTX, 4096);
      break;
    case 12:  // cursor of 12 bpp
      drv_cursor_define(d, 0, WORKLOAD_CTX, 0, 16, 16, 12, 64, 0, 0);
      break;
    case 13:  // READ_MEM too long
      drv_read_mem(d, WORKLOAD_CTX, 0, ro, 1u << 20);
      break;
    case 14: {  // present 17 rectangles
      const uint32_t w[] = {PVG_COMMAND_HEADER(PVG_OP_PRESENT, 3), 0, 17};
      drv_submit_raw(d, w, 3);
      break;
    }
    case 15:  // MMIO read of size 8, not 8-aligned (an aligned one is two 4-byte reads)
      (void)mmio_read64(gfx + PVG_REG_VERSION);
      break;
    case 16:  // misaligned MMIO write
      mmio_write32(gfx + PVG_REG_IRQ_MASK + 1, 1);
      break;
    default:  // 17: doorbell beyond the ring
      mmio_write32(gfx + PVG_REG_DOORBELL, 0x7ffffff0u);
      break;
  }
}

void hostile_setup(struct env* e) {
  struct driver* d = e->driver;
  mapped_buffer(e, WORKLOAD_CTX, 64 * 1024);
  uint64_t page = pages_allocate(d->pages, 4096);
  drv_ctx_create(d, RO_CTX, 1u << 20);
  drv_map1(d, RO_CTX, 0, page, 4096, true);
  e->w.hostile.ro = page;
  drv_set_mode(d, 0, e->mode);
}

void hostile_frame(struct env* e, uint32_t n) {
  attack(e, n % ATTACKS, e->w.hostile.ro);
  // A zero-length header makes the device drop the rest of the batch: ring it out on its own.
  drv_wait_idle(e->driver);
  // n * 0x123457 < 2^53: exact in a double, so the JS `& 0xffffff` keeps its low 24 bits.
  drv_fill(e->driver, 0, 0, 0, e->width, e->height, 0xff000000u | (uint32_t)(((uint64_t)n * 0x123457u) & 0xffffffu));
  drv_present(e->driver, 0, 0, 0);
}
