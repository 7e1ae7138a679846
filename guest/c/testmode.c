#include "testmode.h"

#include "fail.h"
#include "io.h"
#include "isr.h"

__attribute__((noreturn)) static void triple_fault(void) {
  idt_load_empty();
  __asm__ volatile("ud2");
  __builtin_unreachable();
}

__attribute__((noreturn)) static void runaway(void) {
  // Ring 3 cannot turn interrupts off; none will come, and the loop never exits to the host.
  __asm__ volatile("1: jmp 1b" : : : "memory");
  __builtin_unreachable();
}

/** A store into the image (read-only to the guest); FAILs if it took effect. */
static void rom_write(void) {
  volatile uint32_t* code = (volatile uint32_t*)(uintptr_t)PVG_IMAGE_BASE;
  uint32_t before = *code;
  *code = ~before;
  if (*code != before) fail(PVG_FAIL_DRIVER, "a store to the read-only image took effect");
}

__attribute__((noreturn)) static void unassigned(volatile struct pvg_boot* b) {
  for (uint32_t i = 0; i < PVG_TEST_UNASSIGNED_ACCESSES; i++) {
    (void)mmio_read32(PVG_TEST_UNASSIGNED_ADDRESS);
    mmio_write32(PVG_TEST_UNASSIGNED_ADDRESS, i);
  }
  done(b);
}

__attribute__((noreturn)) static void divide_by_zero(void) {
  // In assembly: the compiler must not fold or drop the division.
  __asm__ volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx; divl %%ecx" : : : "eax", "ecx", "edx");
  fail(PVG_FAIL_DRIVER, "divide by zero did not fault");
}

void test_mode_kernel(volatile struct pvg_boot* b) {
  if (b->test_mode == PVG_TEST_TRIPLE_FAULT) triple_fault();
}

void test_mode_run(volatile struct pvg_boot* b) {
  switch (b->test_mode) {
    case PVG_TEST_NONE:
      return;
    case PVG_TEST_TRIPLE_FAULT:
      fail(PVG_FAIL_BOOT, "the triple fault runs in ring 0, before the IDT (kernel_init)");
    case PVG_TEST_RUNAWAY_LOOP:
      runaway();
    case PVG_TEST_WRITE_READ_ONLY:
      rom_write();
      return;
    case PVG_TEST_UNASSIGNED_MMIO:
      unassigned(b);
    case PVG_TEST_DIVIDE_BY_ZERO:
      divide_by_zero();
    default: {
      struct msg m;
      msg_init(&m);
      msg_str(&m, "unknown test_mode ");
      msg_dec(&m, b->test_mode);
      fail_msg(b, PVG_FAIL_BOOT, &m);
    }
  }
}
