// The boot contract between the VMM's KVM backend and the freestanding guest (pvg-guest.elf).
// The host loads the image read-only at PVG_IMAGE_BASE, fills a boot block per vCPU, and enters
// _start in long mode with RDI = GS base = the block's address. Little-endian, C and C++.
#ifndef PVG_GUEST_BOOT_ABI_H
#define PVG_GUEST_BOOT_ABI_H

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
#define PVG_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#include <stddef.h>
#include <stdint.h>
#define PVG_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define PVG_IMAGE_BASE 0x01000000u
#define PVG_IMAGE_MAX_BYTES 0x100000u  // the image's loaded span fits in 1 MiB
#define PVG_STACK_BYTES 0x8000u        // RSP = top of this much stack, 16-byte aligned

#define PVG_BOOT_MAGIC 0x42475650u  // 'PVGB'
#define PVG_BOOT_ABI_VERSION 2u
#define PVG_FAIL_MESSAGE_BYTES 128u

// variant
#define PVG_VARIANT_MMIO 0u  // apple-gfx-mmio
#define PVG_VARIANT_PCI 1u   // apple-gfx-pci

// workload
#define PVG_WORKLOAD_DESKTOP 0u
#define PVG_WORKLOAD_FULLFRAME 1u
#define PVG_WORKLOAD_HOSTILE 2u
// A benchmark program, not a workload: MARK 1, `frames` reads of STATUS, MARK 2, `frames` reads
// of unassigned space, MARK 3, DONE (bench kvm times the stretches between the marks).
#define PVG_WORKLOAD_MMIOREAD 3u

// state (written by the guest)
#define PVG_STATE_BOOTING 0u
#define PVG_STATE_RUNNING 1u  // the device is set up: the interrupt handler may touch it
#define PVG_STATE_DONE 2u
#define PVG_STATE_FAILED 3u

// test_mode: misbehaviours for the host's tests
#define PVG_TEST_NONE 0u
#define PVG_TEST_TRIPLE_FAULT 1u  // lidt with limit 0, then ud2
#define PVG_TEST_RUNAWAY 2u       // loop forever without an exit
#define PVG_TEST_ROM_WRITE 3u     // store to the image at PVG_IMAGE_BASE, then the normal program
#define PVG_TEST_UNASSIGNED 4u    // 1000 reads and writes at 0x1000, then DONE
#define PVG_TEST_DIVIDE 5u        // divide by zero: exception path, FAIL code PVG_FAIL_EXCEPTION
#define PVG_TEST_UNASSIGNED_ADDRESS 0x1000u
#define PVG_TEST_UNASSIGNED_ACCESSES 1000u

// Hypercalls: 32-bit MMIO writes into a window the vCPU itself answers (no slot, no device).
// MMIO, not port I/O: the program runs in ring 3, where port I/O faults (and some KVM hosts,
// such as PVM, cannot run ring-0 code natively at all).
#define PVG_HYPERCALL_BASE 0x30000000u
#define PVG_HC_EOI 0x00u   // value: the vector just handled
#define PVG_HC_DONE 0x04u  // value: 0; the host does not resume the vCPU
#define PVG_HC_FAIL 0x08u  // value: a PVG_FAIL_* code, fail_message written first
#define PVG_HC_MARK 0x0cu  // value: a mark number; the host notes when it saw it
// HALT's value: interrupts_handled as last seen; the host sleeps until an interrupt unless the
// count has moved on since (the guest's HLT).
#define PVG_HC_HALT 0x10u

// FAIL codes.
#define PVG_FAIL_DRIVER 1u       // the device misbehaved or refused (the TS guest's DriverError)
#define PVG_FAIL_EXCEPTION 2u    // a CPU exception (vectors 0..31)
#define PVG_FAIL_BOOT 3u         // a bad boot block or an unknown variant/workload/test_mode
#define PVG_FAIL_UNSUPPORTED 4u  // a computation this guest does not implement (huge sin argument)

struct pvg_boot {
  // -- written by the host --
  uint64_t self;            // 0x00 address of this block
  uint32_t magic;           // 0x08 PVG_BOOT_MAGIC
  uint32_t abi_version;     // 0x0c PVG_BOOT_ABI_VERSION
  uint32_t vcpu;            // 0x10
  uint32_t device;          // 0x14 device index the guest drives
  uint32_t variant;         // 0x18 PVG_VARIANT_*
  uint32_t workload;        // 0x1c PVG_WORKLOAD_*
  uint32_t frames;          // 0x20
  uint32_t seed;            // 0x24
  uint32_t mode;            // 0x28 initial mode index (clamped to modes - 1)
  uint32_t damage_percent;  // 0x2c unused by these workloads
  uint64_t ram_base;        // 0x30 pages the guest may allocate: [ram_base, ram_end), page aligned
  uint64_t ram_end;         // 0x38
  uint64_t idt;             // 0x40 4 KiB where the guest builds its IDT (256 gates)
  uint32_t test_mode;       // 0x48 PVG_TEST_*
  uint32_t reserved0;       // 0x4c
  // -- written by the guest, read by the host --
  uint32_t state;                             // 0x50 PVG_STATE_*
  uint32_t frames_done;                       // 0x54
  uint32_t interrupts_handled;                // 0x58
  uint32_t device_errors_seen;                // 0x5c
  uint32_t halts;                             // 0x60
  uint32_t last_error;                        // 0x64 ERROR_CODE last seen (0 none)
  uint32_t reserved1[2];                      // 0x68..0x6f
  uint64_t user_stack_top;                    // 0x70 ring 3's stack (the entry stack is ring 0's, the TSS's RSP0)
  uint64_t reserved2;                         // 0x78
  char fail_message[PVG_FAIL_MESSAGE_BYTES];  // 0x80 NUL-terminated, written before a FAIL
};

PVG_STATIC_ASSERT(offsetof(struct pvg_boot, self) == 0x00, "self");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, magic) == 0x08, "magic");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, abi_version) == 0x0c, "abi_version");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, vcpu) == 0x10, "vcpu");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, device) == 0x14, "device");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, variant) == 0x18, "variant");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, workload) == 0x1c, "workload");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, frames) == 0x20, "frames");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, seed) == 0x24, "seed");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, mode) == 0x28, "mode");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, damage_percent) == 0x2c, "damage_percent");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, ram_base) == 0x30, "ram_base");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, ram_end) == 0x38, "ram_end");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, idt) == 0x40, "idt");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, test_mode) == 0x48, "test_mode");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, state) == 0x50, "state");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, frames_done) == 0x54, "frames_done");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, interrupts_handled) == 0x58, "interrupts_handled");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, device_errors_seen) == 0x5c, "device_errors_seen");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, halts) == 0x60, "halts");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, last_error) == 0x64, "last_error");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, user_stack_top) == 0x70, "user_stack_top");
PVG_STATIC_ASSERT(offsetof(struct pvg_boot, fail_message) == 0x80, "fail_message");
PVG_STATIC_ASSERT(sizeof(struct pvg_boot) == 0x100, "the block is 256 bytes");

#endif
