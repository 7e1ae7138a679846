// Interrupt and exception handlers, reached from isr_stubs.S. Built with -mgeneral-regs-only:
// an interrupt can land in the middle of SSE code and only the general registers are saved.
#include "isr.h"

#include <stdbool.h>

#include "boot_abi.h"
#include "driver.h"
#include "fail.h"
#include "io.h"
#include "layout.h"
#include "protocol.h"

__attribute__((noreturn)) static void exception(volatile struct pvg_boot* b, const struct isr_frame* f) {
  struct msg m;
  msg_init(&m);
  msg_str(&m, "exception ");
  msg_dec(&m, f->vector);
  msg_str(&m, " error ");
  msg_hex(&m, f->error);
  msg_str(&m, " at rip ");
  msg_hex(&m, f->rip);
  if (f->vector == 14) {  // page fault: where
    uint64_t cr2;
    __asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
    msg_str(&m, " cr2 ");
    msg_hex(&m, cr2);
  }
  fail_msg(b, PVG_FAIL_EXCEPTION, &m);
}

/**
 * Whether `vector` is one of the keyboard's or tablet's this guest drives: virtio-mmio devices 2k
 * and 2k + 1 on level lines 0x60 + 2k and 0x61 + 2k; virtio-pci device i's MSI-X vectors
 * 0x60 + 2i and 0x61 + 2i (virtio_pci.c), so 0x60 + 4k up to 0x63 + 4k.
 */
static bool input_vector(volatile struct pvg_boot* b, uint32_t vector) {
  uint32_t k = b->input_binding;
  if (k == PVG_NO_INPUT || vector < PVG_VECTOR_VIRTIO_BASE) return false;
  uint32_t per_binding = b->input_transport == PVG_INPUT_TRANSPORT_PCI ? 4 : 2;
  return (vector - PVG_VECTOR_VIRTIO_BASE) / per_binding == k;
}

/**
 * virtio-mmio: virtio-mmio-guest.ts acknowledge, as Linux's vm_interrupt — InterruptStatus
 * written back to InterruptAck (the device lowers its level line when nothing is left). MSI-X
 * needs nothing acknowledged at the device (vp_vring_interrupt). Then EOI; the events stay in the
 * used ring for the workload to take.
 */
static void virtio_interrupt(volatile struct pvg_boot* b, uint32_t vector) {
  if (b->input_transport != PVG_INPUT_TRANSPORT_PCI) {
    uint64_t base = (uint64_t)PVG_VIRTIO_MMIO_BASE + (uint64_t)(vector - PVG_VECTOR_VIRTIO_BASE) * PVG_VIRTIO_MMIO_STRIDE;
    uint32_t status = mmio_read32(base + PVG_VIRTIO_REG_INTERRUPT_STATUS);
    if (status != 0) mmio_write32(base + PVG_VIRTIO_REG_INTERRUPT_ACK, status);
  }
  b->interrupts_handled++;
  hypercall(PVG_HC_EOI, vector);
}

/** program.ts handleInterrupts for one vector: take the causes, count and ack errors, EOI. */
static void device_interrupt(volatile struct pvg_boot* b, uint32_t vector) {
  // Before the device is set up (or once done) there is no gfx window to read: just count it.
  if (b->state == PVG_STATE_RUNNING) {
    uint64_t gfx = layout_gfx_base(b->variant, b->device);
    uint32_t causes = drv_take_irq_causes(gfx, b->ring_gpa);
    if (causes & PVG_IRQ_CAUSE_ERROR) {
      b->device_errors_seen++;
      // driver.ts errors(): ERROR_CODE, STATUS, ERROR_COUNT, in that order.
      uint32_t code = mmio_read32(gfx + PVG_REG_ERROR_CODE);
      (void)mmio_read32(gfx + PVG_REG_STATUS);
      (void)mmio_read32(gfx + PVG_REG_ERROR_COUNT);
      b->last_error = code;
      mmio_write32(gfx + PVG_REG_ERROR_ACK, 1);
    }
  }
  b->interrupts_handled++;
  hypercall(PVG_HC_EOI, vector);
}

void pvg_isr(struct isr_frame* f) {
  volatile struct pvg_boot* b = boot_block();
  if (f->vector < 32) exception(b, f);
  if (input_vector(b, (uint32_t)f->vector))
    virtio_interrupt(b, (uint32_t)f->vector);
  else
    device_interrupt(b, (uint32_t)f->vector);
}
