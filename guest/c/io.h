// Port and MMIO accessors and the few privileged instructions the guest uses. Inline assembly,
// not plain volatile accesses, so each access is exactly one instruction of the stated size: the
// vCPU's bus sees the size the instruction used (the hostile workload depends on it). Every one
// is a compiler memory barrier, so ring and image stores are emitted before the MMIO after them.
// Integer only: the interrupt handler (built with -mgeneral-regs-only) includes this too.
#ifndef PVG_GUEST_IO_H
#define PVG_GUEST_IO_H

#include <stdint.h>

#include "boot_abi.h"

static inline uint8_t mmio_read8(uint64_t a) {
  uint8_t v;
  __asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
  return v;
}
static inline uint16_t mmio_read16(uint64_t a) {
  uint16_t v;
  __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
  return v;
}
static inline uint32_t mmio_read32(uint64_t a) {
  uint32_t v;
  __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
  return v;
}
static inline uint64_t mmio_read64(uint64_t a) {
  uint64_t v;
  __asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
  return v;
}
static inline void mmio_write8(uint64_t a, uint8_t v) { __asm__ volatile("movb %0, (%1)" : : "q"(v), "r"(a) : "memory"); }
static inline void mmio_write16(uint64_t a, uint16_t v) { __asm__ volatile("movw %0, (%1)" : : "r"(v), "r"(a) : "memory"); }
static inline void mmio_write32(uint64_t a, uint32_t v) { __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory"); }

/** A plain 32-bit store to guest RAM (the ring, images): volatile so none is dropped or merged. */
static inline void ram_write32(uint64_t a, uint32_t v) { *(volatile uint32_t*)(uintptr_t)a = v; }

/** A plain 32-bit load from guest RAM that the device writes (the ring header): volatile, so it is read every time. */
static inline uint32_t ram_read32(uint64_t a) { return *(volatile const uint32_t*)(uintptr_t)a; }

/** A hypercall (boot_abi.h): one 32-bit MMIO write into the host's hypercall window. */
static inline void hypercall(uint32_t call, uint32_t value) { mmio_write32(PVG_HYPERCALL_BASE + call, value); }

/** After DONE or FAIL the host never resumes the vCPU; spin (valid in ring 0 and ring 3). */
static inline __attribute__((noreturn)) void spin_forever(void) {
  for (;;) __asm__ volatile("pause" : : : "memory");
}

/** The boot block of this vCPU: GS base points at it and its first field is its own address. */
static inline volatile struct pvg_boot* boot_block(void) {
  uint64_t p;
  __asm__ volatile("movq %%gs:0, %0" : "=r"(p) : : "memory");
  return (volatile struct pvg_boot*)(uintptr_t)p;
}

#endif
