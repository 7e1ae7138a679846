#include "engine/bridge/direct_interrupts.h"

#include <atomic>
#include <thread>

#include "abi/irq_route_layout.h"

namespace pvg::engine {
namespace {
constexpr uint32_t kMsiVectors = 32;  // the capability offers 32 (abi/schema/machine.ts MSI_VECTORS)
constexpr int kSpinsBeforeYield = 64;
}  // namespace

void DirectInterrupts::count(uint32_t word) { std::atomic_ref<int32_t>(c_.route[word]).fetch_add(1); }

DirectInterrupts::Msi DirectInterrupts::readMsi() const {
  // Seqlock: the device actor makes the sequence odd, rewrites the words, makes it even again.
  // Its writes are a handful of stores, so a reader that finds one under way soon finds it done;
  // it yields rather than spin on a writer the scheduler took off its core.
  auto word = [this](uint32_t i) { return std::atomic_ref<int32_t>(c_.route[i]).load(); };
  for (int attempt = 0;; ++attempt) {
    const int32_t before = word(irqroute::kSequenceWord);
    if ((before & 1) == 0) {
      Msi m{.enabled = word(irqroute::kMsiEnabledWord) != 0,
            .address = static_cast<uint32_t>(word(irqroute::kMsiAddressLoWord)) | (uint64_t{static_cast<uint32_t>(word(irqroute::kMsiAddressHiWord))} << 32),
            .data = static_cast<uint32_t>(word(irqroute::kMsiDataWord)) & 0xffff,
            .vectors = static_cast<uint32_t>(word(irqroute::kMsiVectorsWord)),
            .mask = static_cast<uint32_t>(word(irqroute::kMsiMaskWord))};
      if (word(irqroute::kSequenceWord) == before) {
        // The actor publishes what its config space clamps; a block that is not one is one vector.
        if (m.vectors == 0 || m.vectors > kMsiVectors || (m.vectors & (m.vectors - 1)) != 0) m.vectors = 1;
        return m;
      }
    }
    if (attempt >= kSpinsBeforeYield) std::this_thread::yield();
  }
}

DirectRaise DirectInterrupts::raiseGfx(uint32_t vector) {
  if (!c_.msi) return pulse(c_.gfxLine);
  const Msi m = readMsi();
  DirectRaise r;
  r.msi = true;
  if (!m.enabled) {
    count(irqroute::kRaisedWord);
    count(irqroute::kDroppedWhileDisabledWord);
    r.handled = r.dropped = true;
    return r;
  }
  // shared/pci/msi.ts signalMsi: the vector folded into the block the guest enabled.
  const uint32_t v = (vector % kMsiVectors) & (m.vectors - 1);
  if ((m.mask >> v) & 1) {
    count(irqroute::kDeferredWord);  // the device actor sets its pending bit (or sends it, if unmasked by then)
    return r;
  }
  r.address = m.address;
  r.data = (m.data & ~(m.vectors - 1)) | v;
  count(irqroute::kRaisedWord);
  r.outcome = c_.table.msi(r.address, r.data);
  count(irqroute::kDeliveredWord);
  r.handled = true;
  return r;
}

DirectRaise DirectInterrupts::raiseIosfc() { return pulse(c_.iosfcLine); }

DirectRaise DirectInterrupts::pulse(uint32_t line) {
  DirectRaise r;
  r.line = line;
  if (!c_.table.isEdge(line)) {
    count(irqroute::kDeferredWord);  // a level line is the controller actor's: posted through the device actor
    return r;
  }
  count(irqroute::kRaisedWord);
  r.outcome = c_.table.pulseEdge(line);
  count(irqroute::kDeliveredWord);
  r.handled = true;
  return r;
}
}  // namespace pvg::engine
