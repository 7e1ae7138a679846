#include "core/vcpu_irq.h"

#include <atomic>

#include "abi/vcpu_irq_layout.h"
#include "core/futex.h"
#if defined(__linux__)
#include "kvm/vcpu_kick.h"
#endif

namespace pvg {
namespace {
std::atomic_ref<int32_t> word(int32_t* words, uint32_t index) { return std::atomic_ref<int32_t>(words[index]); }
}  // namespace

std::optional<VcpuIrqRef> VcpuIrqRef::attach(int32_t* words, size_t lengthWords) {
  if (words == nullptr || lengthWords < irq::kWords || word(words, irq::kMagicWord).load() != irq::kMagic) return std::nullopt;
  return VcpuIrqRef(words);
}

bool VcpuIrqRef::deliver(uint32_t vector) const {
  if (vector >= irq::kPendingWords * 32) return false;
  const int32_t bit = static_cast<int32_t>(uint32_t{1} << (vector & 31));
  // The bit first, then the sequence: a vCPU that sees the new sequence also sees the bit.
  const int32_t old = word(words_, irq::kPendingWord + (vector >> 5)).fetch_or(bit);
  word(words_, irq::kSequenceWord).fetch_add(1);
  // Only the vCPU clears Parked (docs/interrupts.md): a deliverer wakes, never un-parks.
  if (word(words_, irq::kParkedWord).load() != 0) {
    word(words_, irq::kWakesWord).fetch_add(1);
    futexWake(words_ + irq::kSequenceWord, INT32_MAX);
  }
#if defined(__linux__)
  // A KVM vCPU publishes its thread before it looks at the pending bits: one of us sees the other.
  if (const int32_t tid = word(words_, irq::kKickThreadWord).load(); tid != 0) kvm::kickThread(tid);
#endif
  return (old & bit) == 0;
}
}  // namespace pvg
