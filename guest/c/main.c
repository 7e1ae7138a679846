// program.ts in C, in ring 3 (kernel.c ran first, in ring 0): check the boot block, run a
// test_mode misbehaviour if asked,
// then find the device (MMIO windows, or PCI config space, BAR sizing and MSI), start the ring
// and run the workload frame by frame, at most two frames in flight, sleeping (HLT) on fences.
#include <stdbool.h>
#include <stdint.h>

#include "boot_abi.h"
#include "driver.h"
#include "fail.h"
#include "io.h"
#include "isr.h"
#include "layout.h"
#include "pci.h"
#include "protocol.h"
#include "testmode.h"
#include "workload.h"

#define RING_BYTES (256u * 1024u)
// The host resumes a HLT within ~100 ms even without an interrupt: 300 halts without progress
// is the TS guest's 30 s.
#define FENCE_STALL_HALTS 300u
// The host identity-maps 0..4 GiB: everything the guest touches must lie below.
#define IDENTITY_LIMIT 0x100000000ull

struct guest {
  volatile struct pvg_boot* b;
  struct pages pages;
  struct driver driver;
  struct env env;
};

__attribute__((noreturn)) void pvg_main(struct pvg_boot* block);

/** FAILs with PVG_FAIL_BOOT: text, then v (in hex when it is an address). */
__attribute__((noreturn)) static void fail_boot(volatile struct pvg_boot* b, const char* text, uint64_t v, bool address) {
  struct msg m;
  msg_init(&m);
  msg_str(&m, text);
  if (address)
    msg_hex(&m, v);
  else
    msg_dec(&m, v);
  fail_msg(b, PVG_FAIL_BOOT, &m);
}

/**
 * program.ts waitFence: sleep on interrupts until the completed fence reaches value (wrapping). Ring 3
 * cannot cli/hlt: the HALT hypercall carries the interrupt count seen before the check, and the
 * host sleeps only if no interrupt was handled since (one handled in between moved the count).
 */
static void wait_fence(struct guest* g, uint32_t value) {
  uint32_t last = 0, stalls = 0;
  bool seen = false;
  for (;;) {
    uint32_t handled = g->b->interrupts_handled;
    uint32_t completed = drv_completed_fence(&g->driver);
    if ((int32_t)(completed - value) >= 0) return;
    if (!seen || completed != last) {
      seen = true;
      last = completed;
      stalls = 0;
    }
    if (stalls == FENCE_STALL_HALTS) {
      struct msg m;
      msg_init(&m);
      msg_str(&m, "fence ");
      msg_dec(&m, value);
      msg_str(&m, " not reached");
      fail_msg(g->b, PVG_FAIL_DRIVER, &m);
    }
    stalls++;
    g->b->halts++;
    hypercall(PVG_HC_HALT, handled);
  }
}

static void workload_setup(struct env* e, uint32_t workload) {
  switch (workload) {
    case PVG_WORKLOAD_DESKTOP:
      desktop_setup(e);
      break;
    case PVG_WORKLOAD_FULLFRAME:
      fullframe_setup(e);
      break;
    case PVG_WORKLOAD_PAINT:
      paint_setup(e);
      break;
    default:
      hostile_setup(e);
      break;
  }
}

static void workload_frame(struct env* e, uint32_t workload, uint32_t n) {
  switch (workload) {
    case PVG_WORKLOAD_DESKTOP:
      desktop_frame(e, n);
      break;
    case PVG_WORKLOAD_FULLFRAME:
      fullframe_frame(e, n);
      break;
    case PVG_WORKLOAD_PAINT:
      paint_frame(e, n);
      break;
    default:
      hostile_frame(e, n);
      break;
  }
}

/** program.ts boot(): ends with the device set up, the workload's setup queued and rung. */
static void boot(struct guest* g) {
  volatile struct pvg_boot* b = g->b;
  pages_init(&g->pages, b->ram_base, b->ram_end);
  uint64_t gfx, iosfc = 0;
  if (b->variant == PVG_VARIANT_PCI) {
    gfx = pci_set_up(b->device, b->vcpu);
  } else {
    gfx = layout_mmio_gfx_base(b->device);
    iosfc = layout_mmio_iosfc_base(b->device);
  }
  struct driver* d = &g->driver;
  drv_init(d, gfx, &g->pages, iosfc);
  struct probe_info info;
  drv_probe(d, b->mode, &info);
  // Like a driver loading: start from a reset device, whatever an earlier guest left behind.
  drv_reset(d);
  drv_start_ring(d, RING_BYTES);
  b->ring_gpa = d->ring_gpa;  // the interrupt handler takes its causes from this ring's header
  drv_set_reg(d, PVG_REG_IRQ_MASK, PVG_IRQ_CAUSE_FENCE | PVG_IRQ_CAUSE_ERROR);
  struct env* e = &g->env;
  *e = (struct env){
      .driver = d,
      .mode = b->mode < info.mode_count - 1 ? b->mode : info.mode_count - 1,
      .width = info.width,
      .height = info.height,
      .damage_percent = b->damage_percent,
      .gfx_base = gfx,
  };
  rng_init(&e->rng, b->seed);
  // The interrupt handler may touch the device from now on (ring 3 runs with interrupts on).
  b->state = PVG_STATE_RUNNING;
  if (b->workload == PVG_WORKLOAD_MMIOREAD) return;
  workload_setup(e, b->workload);
  drv_flush(d);
}

/** The mmioread benchmark program (boot_abi.h): MMIO read loops between host-timed marks. */
__attribute__((noreturn)) static void mmio_read_bench(struct guest* g) {
  uint32_t n = g->b->frames;
  hypercall(PVG_HC_MARK, 1);
  for (uint32_t i = 0; i < n; i++) (void)drv_reg(&g->driver, PVG_REG_STATUS);
  hypercall(PVG_HC_MARK, 2);
  for (uint32_t i = 0; i < n; i++) (void)mmio_read32(PVG_TEST_UNASSIGNED_ADDRESS);
  hypercall(PVG_HC_MARK, 3);
  g->b->frames_done = n;
  done(g->b);
}

static void check_block(struct pvg_boot* block) {
  volatile struct pvg_boot* b = block;
  if (b->magic != PVG_BOOT_MAGIC || b->self != (uint64_t)(uintptr_t)block) fail_boot(b, "bad boot block at ", (uintptr_t)block, true);
  if (b->abi_version != PVG_BOOT_ABI_VERSION) fail_boot(b, "unsupported boot ABI version ", b->abi_version, false);
  if (boot_block() != b) fail_boot(b, "GS base does not point at the boot block at ", (uintptr_t)block, true);
  if (b->idt == 0 || b->idt + 4096 > IDENTITY_LIMIT) fail_boot(b, "IDT outside the identity map at ", b->idt, true);
  if (b->ram_end > IDENTITY_LIMIT) fail_boot(b, "guest RAM ends beyond the identity map at ", b->ram_end, true);
}

/** What the normal program needs beyond the block itself (test modes do not look at these). */
static void check_program(volatile struct pvg_boot* b) {
  if (b->variant != PVG_VARIANT_MMIO && b->variant != PVG_VARIANT_PCI) fail_boot(b, "unknown variant ", b->variant, false);
  if (b->workload > PVG_WORKLOAD_PAINT) fail_boot(b, "unknown workload ", b->workload, false);
  if (b->input_binding != PVG_NO_INPUT && 2 * (uint64_t)b->input_binding + 1 >= PVG_VIRTIO_MAX_DEVICES)
    fail_boot(b, "input binding beyond the virtio devices: ", b->input_binding, false);
  if (b->input_binding != PVG_NO_INPUT && b->input_transport != PVG_INPUT_TRANSPORT_MMIO && b->input_transport != PVG_INPUT_TRANSPORT_PCI)
    fail_boot(b, "unknown input transport ", b->input_transport, false);
}

void pvg_main(struct pvg_boot* block) {
  check_block(block);
  struct guest g = {.b = block};
  test_mode_run(g.b);  // returns for none and after the ROM write
  check_program(g.b);
  boot(&g);
  if (g.b->workload == PVG_WORKLOAD_MMIOREAD) mmio_read_bench(&g);
  uint32_t frames = g.b->frames;
  for (uint32_t n = 0; n < frames; n++) {
    workload_frame(&g.env, g.b->workload, n);
    drv_fence(&g.driver, n + 1, true);
    drv_flush(&g.driver);
    wait_fence(&g, n);  // two frames in flight at most
    g.b->frames_done = n + 1;
  }
  wait_fence(&g, frames);
  done(g.b);
}
