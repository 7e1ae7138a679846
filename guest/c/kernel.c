// The little that runs in ring 0 before the program: the IDT, and the one misbehaviour that
// needs ring 0 (a triple fault). Everything else runs in ring 3 (start.S drops there), because a
// KVM host may run ring-0 guest code only through its instruction emulator (PVM does), which
// knows no SSE; ring 3 runs natively everywhere. Built with -mgeneral-regs-only.
#include "boot_abi.h"
#include "fail.h"
#include "isr.h"
#include "testmode.h"

// The host identity-maps 0..4 GiB.
#define IDENTITY_LIMIT 0x100000000ull

void kernel_init(struct pvg_boot* block);

void kernel_init(struct pvg_boot* block) {
  volatile struct pvg_boot* b = block;
  test_mode_kernel(b);  // before any IDT exists
  if (b->idt == 0 || b->idt + 4096 > IDENTITY_LIMIT) fail(PVG_FAIL_BOOT, "IDT outside the identity map");
  idt_install(b->idt);
}
