// The IDT: 256 interrupt gates (IF cleared on entry), selector 0x08, DPL 0, no IST.
#include <stdint.h>

#include "fail.h"
#include "isr.h"

#define KERNEL_CS 0x08u
#define GATE_INTERRUPT 0x8e00u  // present, DPL 0, 64-bit interrupt gate
#define STUB_BYTES 16u

extern const uint8_t pvg_isr_stubs[];
extern const uint8_t pvg_isr_stubs_end[];

struct __attribute__((packed)) idt_pointer {
  uint16_t limit;
  uint64_t base;
};

void idt_install(uint64_t idt) {
  if ((uint64_t)(pvg_isr_stubs_end - pvg_isr_stubs) != 256 * STUB_BYTES) fail(PVG_FAIL_BOOT, "interrupt stubs are not 16 bytes each");
  volatile uint32_t* gate = (volatile uint32_t*)(uintptr_t)idt;
  for (uint32_t v = 0; v < 256; v++) {
    uint64_t handler = (uint64_t)(uintptr_t)pvg_isr_stubs + v * STUB_BYTES;
    gate[v * 4 + 0] = (uint32_t)(handler & 0xffff) | (KERNEL_CS << 16);
    gate[v * 4 + 1] = (uint32_t)(handler & 0xffff0000u) | GATE_INTERRUPT;
    gate[v * 4 + 2] = (uint32_t)(handler >> 32);
    gate[v * 4 + 3] = 0;
  }
  struct idt_pointer p = {.limit = 256 * 16 - 1, .base = idt};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

void idt_load_empty(void) {
  struct idt_pointer p = {.limit = 0, .base = 0};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}
