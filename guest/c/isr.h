// The IDT and the interrupt and exception handlers.
#ifndef PVG_GUEST_ISR_H
#define PVG_GUEST_ISR_H

#include <stdint.h>

/** What isr_stubs.S leaves on the stack for pvg_isr, lowest address first. */
struct isr_frame {
  uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
  uint64_t vector, error;
  uint64_t rip, cs, rflags, rsp, ss;
};

/** Builds the 256 gates at `idt` (4 KiB) and loads it. */
void idt_install(uint64_t idt);
/** Loads an IDT of limit 0: any exception then escalates to a triple fault (test_mode 1). */
void idt_load_empty(void);

void pvg_isr(struct isr_frame* f);

#endif
