// A native view of the VM's interrupt table (shared/irq/interrupt-table.ts, over the words of
// abi/interrupt_table_layout.h): the two things a source does — pulse an edge line, send an
// MSI — with the same atomic read-modify-writes and the same counters as the TypeScript view,
// so a native source and the JavaScript ones share the table without a lock. Level lines, masks
// and EOIs stay with the interrupt controller actor and the vCPUs (docs/interrupts.md).
// Numbers may be guest-derived (an MSI's address and data): a bad one is counted, never asserted.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/vcpu_irq.h"

namespace pvg {
// What happened to a pulse or a message, for the caller's trace and counts.
struct IrqOutcome {
  enum Kind { Delivered, Coalesced, Latched, Invalid, UnknownTarget, BadLine } kind = BadLine;
  uint32_t vcpu = 0;
  uint32_t vector = 0;
};

class InterruptTableRef {
 public:
  // A view over a table of `lengthWords` words (magic and size checked) delivering to `vcpus`,
  // one per vCPU the table routes to; nullopt if they do not match.
  static std::optional<InterruptTableRef> attach(int32_t* words, size_t lengthWords, std::vector<VcpuIrqRef> vcpus);

  uint32_t lines() const { return lines_; }
  bool isEdge(uint32_t line) const;
  // An edge line's pulse: delivered, or latched while the line is masked (atomically against a
  // concurrent mask by the controller actor).
  IrqOutcome pulseEdge(uint32_t line) const;
  // x86 MSI: vCPU = address bits 19:12, vector = data bits 7:0. An address past 2^53 − 1 is
  // invalid here as in TypeScript, which cannot hold it exactly.
  IrqOutcome msi(uint64_t address, uint32_t data) const;

 private:
  InterruptTableRef(int32_t* words, uint32_t lines, std::vector<VcpuIrqRef> vcpus);
  uint32_t lineAt(uint32_t line) const;
  IrqOutcome deliver(uint32_t vcpu, uint32_t vector) const;

  int32_t* words_;
  uint32_t lines_;
  size_t outBase_;
  std::vector<VcpuIrqRef> vcpus_;
};
}  // namespace pvg
