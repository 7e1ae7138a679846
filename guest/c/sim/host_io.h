// Host build of the guest's io.h (pre-included with -include, so guest/c/io.h's guard makes it
// empty): MMIO goes to the simulation's bus (host_mmio_read/_write), the boot block is the
// simulation's, and a hypercall ends the process as the host would end the vCPU (FAIL, DONE).
#ifndef PVG_GUEST_IO_H
#define PVG_GUEST_IO_H

#include <stdint.h>
#include <stdlib.h>

#include "boot_abi.h"

uint64_t host_mmio_read(uint64_t a, uint32_t size);
void host_mmio_write(uint64_t a, uint32_t size, uint64_t v);
void host_hypercall(uint32_t call, uint32_t value);
extern struct pvg_boot host_boot;

static inline uint8_t mmio_read8(uint64_t a) { return (uint8_t)host_mmio_read(a, 1); }
static inline uint16_t mmio_read16(uint64_t a) { return (uint16_t)host_mmio_read(a, 2); }
static inline uint32_t mmio_read32(uint64_t a) { return (uint32_t)host_mmio_read(a, 4); }
static inline uint64_t mmio_read64(uint64_t a) { return host_mmio_read(a, 8); }
static inline void mmio_write8(uint64_t a, uint8_t v) { host_mmio_write(a, 1, v); }
static inline void mmio_write16(uint64_t a, uint16_t v) { host_mmio_write(a, 2, v); }
static inline void mmio_write32(uint64_t a, uint32_t v) { host_mmio_write(a, 4, v); }
static inline void hypercall(uint32_t call, uint32_t value) { host_hypercall(call, value); }
static inline __attribute__((noreturn)) void spin_forever(void) { abort(); }
static inline volatile struct pvg_boot* boot_block(void) { return &host_boot; }

#endif
