#include "core/interrupt_table.h"

#include <atomic>

#include "abi/interrupt_table_layout.h"

namespace pvg {
namespace {
using namespace irqtable;
std::atomic_ref<int32_t> at(int32_t* words, size_t index) { return std::atomic_ref<int32_t>(words[index]); }
constexpr uint64_t kMaxExactAddress = (uint64_t{1} << 53) - 1;  // Number.MAX_SAFE_INTEGER
}  // namespace

std::optional<InterruptTableRef> InterruptTableRef::attach(int32_t* words, size_t lengthWords, std::vector<VcpuIrqRef> vcpus) {
  if (words == nullptr || lengthWords < kLinesBase || at(words, kMagicWord).load() != kMagic) return std::nullopt;
  const int32_t lines = at(words, kLinesWord).load();
  const int32_t vcpuCount = at(words, kVcpusWord).load();
  if (lines < 0 || vcpuCount < 0 || static_cast<size_t>(vcpuCount) != vcpus.size()) return std::nullopt;
  if (lengthWords != kLinesBase + size_t(lines) * kLineWords + size_t(vcpuCount) * kVectors) return std::nullopt;
  return InterruptTableRef(words, static_cast<uint32_t>(lines), std::move(vcpus));
}

InterruptTableRef::InterruptTableRef(int32_t* words, uint32_t lines, std::vector<VcpuIrqRef> vcpus)
    : words_(words), lines_(lines), outBase_(kLinesBase + size_t{lines} * kLineWords), vcpus_(std::move(vcpus)) {}

uint32_t InterruptTableRef::lineAt(uint32_t line) const { return kLinesBase + line * kLineWords; }

bool InterruptTableRef::isEdge(uint32_t line) const { return line < lines_ && at(words_, lineAt(line) + kLineTriggerWord).load() == 0; }

IrqOutcome InterruptTableRef::pulseEdge(uint32_t line) const {
  if (line >= lines_) {
    at(words_, kInvalidLinesWord).fetch_add(1);
    return {IrqOutcome::BadLine};
  }
  const uint32_t first = lineAt(line);
  at(words_, first + kLinePulsesWord).fetch_add(1);
  auto state = at(words_, first + kLineStateWord);
  for (int32_t s = state.load(); (s & kLineMasked) != 0;) {
    // Masked: latch it (the unmask delivers it), unless the mask went away meanwhile.
    if (state.compare_exchange_weak(s, s | kLineLatched)) {
      at(words_, first + kLineMaskedLatchedWord).fetch_add(1);
      return {IrqOutcome::Latched};
    }
  }
  at(words_, first + kLineDeliveriesWord).fetch_add(1);
  const auto route = static_cast<uint32_t>(at(words_, first + kLineRouteWord).load());
  return deliver(route >> 8, route & 0xff);
}

IrqOutcome InterruptTableRef::msi(uint64_t address, uint32_t data) const {
  at(words_, kMsisWord).fetch_add(1);
  const auto vcpu = static_cast<uint32_t>((address >> 12) & 0xff);
  const uint32_t vector = data & 0xff;
  if (address > kMaxExactAddress || vector < kFirstValidVector) {
    at(words_, kInvalidMsisWord).fetch_add(1);
    return {IrqOutcome::Invalid, vcpu, vector};
  }
  if (vcpu >= vcpus_.size()) {
    at(words_, kUnknownTargetsWord).fetch_add(1);
    return {IrqOutcome::UnknownTarget, vcpu, vector};
  }
  at(words_, kMsiDeliveriesWord).fetch_add(1);
  return deliver(vcpu, vector);
}

IrqOutcome InterruptTableRef::deliver(uint32_t vcpu, uint32_t vector) const {
  // A line's route comes from the trusted configuration; checked anyway, as a bad one must not index past the table.
  if (vcpu >= vcpus_.size()) return {IrqOutcome::UnknownTarget, vcpu, vector};
  // Counted outstanding before the pending bit is set, so an EOI can never come first.
  auto outstanding = at(words_, outBase_ + size_t{vcpu} * kVectors + vector);
  outstanding.fetch_add(1);
  if (vcpus_[vcpu].deliver(vector)) return {IrqOutcome::Delivered, vcpu, vector};
  outstanding.fetch_sub(1);
  at(words_, kCoalescedWord).fetch_add(1);
  return {IrqOutcome::Coalesced, vcpu, vector};
}
}  // namespace pvg
