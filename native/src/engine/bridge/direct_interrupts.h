// The engine raising its own interrupts (the actor model; docs/interrupts.md, "The engine raises
// its own"): on the raising engine thread, through the VM's interrupt table, with no hop through
// the device actor. The routing inputs the device actor owns reach it through the device's
// interrupt route (abi/irq_route_layout.h): the PCI variant's MSI capability, which the device
// actor republishes under a seqlock whenever the guest writes config space. What needs the
// actor stays with it: a masked MSI vector (its pending bit is in the actor's config space) and a
// level line (the controller actor's) are handed back to the caller, which posts the record as
// before. QEMU's apple-gfx-pci.m raises with msi_notify and the MMIO variant with
// qemu_irq_pulse; the fold of a vector into the enabled block is shared/pci/msi.ts's.
#pragma once
#include <cstdint>

#include "core/interrupt_table.h"

namespace pvg::engine {
struct DirectInterruptsConfig {
  InterruptTableRef table;
  int32_t* route = nullptr;  // irqroute::kWords words
  bool msi = false;          // the PCI variant: raise MSIs; else pulse the lines below
  uint32_t gfxLine = 0, iosfcLine = 0;
};

// One raise as routed: handled here (delivered, latched, coalesced, dropped) or left to the device actor.
struct DirectRaise {
  bool handled = false;
  bool msi = false;
  bool dropped = false;  // MSI disabled
  uint32_t line = 0;
  uint64_t address = 0;
  uint32_t data = 0;
  IrqOutcome outcome;
};

class DirectInterrupts {
 public:
  explicit DirectInterrupts(DirectInterruptsConfig config) : c_(std::move(config)) {}
  // The gfx interrupt `vector` (PVG's raiseInterrupt), from any engine thread.
  DirectRaise raiseGfx(uint32_t vector);
  // The IOSurface window's interrupt (the MMIO variant's second line).
  DirectRaise raiseIosfc();

 private:
  struct Msi {
    bool enabled;
    uint64_t address;
    uint32_t data, vectors, mask;
  };
  Msi readMsi() const;
  DirectRaise pulse(uint32_t line);
  void count(uint32_t word);

  DirectInterruptsConfig c_;
};
}  // namespace pvg::engine
