// Delivering a vector into a vCPU's interrupt state from a native thread: the same protocol as
// shared/irq/vcpu-irq.ts `deliver` over the same words (abi/vcpu_irq_layout.h; docs/interrupts.md,
// "vCPU interrupt state"). The engine delivers its own interrupts through it under the actor model.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace pvg {
class VcpuIrqRef {
 public:
  // A view over a vCPU interrupt state (kWords words, magic checked); nullopt otherwise.
  static std::optional<VcpuIrqRef> attach(int32_t* words, size_t lengthWords);

  // Sets the vector's pending bit, then bumps the sequence, then wakes the vCPU if it announced
  // that it parks, and kicks it out of KVM_RUN if it published its thread. Returns false when
  // the vector was already pending (the deliveries coalesce) or is out of range.
  bool deliver(uint32_t vector) const;

 private:
  explicit VcpuIrqRef(int32_t* words) : words_(words) {}
  int32_t* words_;
};
}  // namespace pvg
