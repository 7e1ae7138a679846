// The engine raising its own interrupts (engine/bridge/direct_interrupts.h) through the VM's
// interrupt table (core/interrupt_table.h) into vCPU interrupt states (core/vcpu_irq.h): several
// engine threads raise at once while another thread masks and unmasks (an edge line in the
// table, or the MSI capability the device actor republishes under its seqlock) and vCPU threads
// take, park and EOI. Nothing may be lost or counted twice, and no raise may see half a publish.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "abi/interrupt_table_layout.h"
#include "abi/irq_route_layout.h"
#include "abi/vcpu_irq_layout.h"
#include "core/futex.h"
#include "core/interrupt_table.h"
#include "core/vcpu_irq.h"
#include "engine/bridge/direct_interrupts.h"
#include "harness.h"
#include "test_support.h"

namespace {
using pvg::InterruptTableRef;
using pvg::IrqOutcome;
using pvg::VcpuIrqRef;
using pvg::test::SharedWords;
namespace it = pvg::irqtable;
namespace ir = pvg::irqroute;

struct Line {
  bool level;
  uint32_t vcpu, vector;
};

// The words createInterruptTable (shared/irq/interrupt-table.ts) lays out, and vCPU states as createVcpuIrqBuffer does.
struct Machine {
  SharedWords table;
  std::vector<SharedWords> vcpus;
  SharedWords route{ir::kWords};

  Machine(const std::vector<Line>& lines, uint32_t vcpuCount) : table(it::kLinesBase + lines.size() * it::kLineWords + vcpuCount * it::kVectors) {
    table.at(it::kLinesWord).store(static_cast<int32_t>(lines.size()));
    table.at(it::kVcpusWord).store(static_cast<int32_t>(vcpuCount));
    for (size_t i = 0; i < lines.size(); ++i) {
      const size_t first = it::kLinesBase + i * it::kLineWords;
      table.at(first + it::kLineRouteWord).store(static_cast<int32_t>(lines[i].vcpu << 8 | lines[i].vector));
      table.at(first + it::kLineTriggerWord).store(lines[i].level ? 1 : 0);
    }
    table.at(it::kMagicWord).store(it::kMagic);
    for (uint32_t v = 0; v < vcpuCount; ++v) {
      vcpus.emplace_back(pvg::irq::kWords);
      vcpus.back().at(pvg::irq::kMagicWord).store(pvg::irq::kMagic);
    }
    route.at(ir::kMsiVectorsWord).store(1);
    route.at(ir::kMagicWord).store(ir::kMagic);
  }
  std::vector<VcpuIrqRef> refs() {
    std::vector<VcpuIrqRef> out;
    for (auto& v : vcpus) out.push_back(*VcpuIrqRef::attach(v.data(), v.length()));
    return out;
  }
  InterruptTableRef view() { return *InterruptTableRef::attach(table.data(), table.length(), refs()); }
  int32_t lineWord(uint32_t line, uint32_t word) { return table.at(it::kLinesBase + line * it::kLineWords + word).load(); }
  int32_t outstanding(uint32_t vcpu, uint32_t vector) { return table.at(it::kLinesBase + lineCount() * it::kLineWords + vcpu * it::kVectors + vector).load(); }
  uint32_t lineCount() { return static_cast<uint32_t>(table.at(it::kLinesWord).load()); }
  // The device actor's IrqRoute.publishMsi.
  void publish(bool enabled, uint64_t address, uint32_t data, uint32_t vectors, uint32_t mask) {
    route.at(ir::kSequenceWord).fetch_add(1);
    route.at(ir::kMsiEnabledWord).store(enabled ? 1 : 0);
    route.at(ir::kMsiAddressLoWord).store(static_cast<int32_t>(address));
    route.at(ir::kMsiAddressHiWord).store(static_cast<int32_t>(address >> 32));
    route.at(ir::kMsiDataWord).store(static_cast<int32_t>(data));
    route.at(ir::kMsiVectorsWord).store(static_cast<int32_t>(vectors));
    route.at(ir::kMsiMaskWord).store(static_cast<int32_t>(mask));
    route.at(ir::kSequenceWord).fetch_add(1);
  }
};

// A vCPU as shared/irq/vcpu-irq.ts runs one: take the highest pending vector and EOI it in the
// table (outstanding - 1), else announce the park, re-check, and sleep on the sequence.
class VcpuThread {
 public:
  VcpuThread(Machine& m, uint32_t index, std::atomic<bool>& done) : m_(m), index_(index), done_(done) {}
  std::vector<uint64_t> takenByVector = std::vector<uint64_t>(256, 0);
  uint64_t parks = 0;

  void run() {
    int32_t* w = m_.vcpus[index_].data();
    auto word = [w](uint32_t i) { return std::atomic_ref<int32_t>(w[i]); };
    for (;;) {
      const int v = takeHighest(w);
      if (v >= 0) {
        ++takenByVector[v];
        eoi(static_cast<uint32_t>(v));
        continue;
      }
      if (done_.load()) return;
      word(pvg::irq::kParkedWord).store(1);
      const int32_t seen = word(pvg::irq::kSequenceWord).load();
      if (!pending(w) && !done_.load()) {
        ++parks;
        pvg::futexWait(w + pvg::irq::kSequenceWord, seen, 2'000'000);
      }
      word(pvg::irq::kParkedWord).store(0);
    }
  }

 private:
  static bool pending(int32_t* w) {
    for (uint32_t i = 0; i < pvg::irq::kPendingWords; ++i)
      if (std::atomic_ref<int32_t>(w[pvg::irq::kPendingWord + i]).load() != 0) return true;
    return false;
  }
  static int takeHighest(int32_t* w) {
    for (int i = pvg::irq::kPendingWords - 1; i >= 0; --i) {
      auto word = std::atomic_ref<int32_t>(w[pvg::irq::kPendingWord + i]);
      for (uint32_t bits = static_cast<uint32_t>(word.load()); bits != 0;) {
        const int b = 31 - __builtin_clz(bits);
        const int32_t mask = static_cast<int32_t>(uint32_t{1} << b);
        const int32_t old = word.fetch_and(~mask);
        if (old & mask) return i * 32 + b;
        bits = static_cast<uint32_t>(old & ~mask);
      }
    }
    return -1;
  }
  void eoi(uint32_t vector) {
    auto out = m_.table.at(it::kLinesBase + m_.lineCount() * it::kLineWords + index_ * it::kVectors + vector);
    for (int32_t n = out.load(); n > 0 && !out.compare_exchange_weak(n, n - 1);) {
    }
  }
  Machine& m_;
  uint32_t index_;
  std::atomic<bool>& done_;
};

constexpr uint32_t kGfxLine = 0, kIosfcLine = 1, kLevelLine = 2;
constexpr uint32_t kGfxVector = 0x30, kIosfcVector = 0x31;
}  // namespace

PVG_TEST("interrupt table (native): hostile numbers are counted, never delivered") {
  Machine m({{false, 0, kGfxVector}}, 2);
  InterruptTableRef t = m.view();
  PVG_CHECK(t.pulseEdge(7).kind == IrqOutcome::BadLine);
  PVG_CHECK(m.table.at(it::kInvalidLinesWord).load() == 1);
  PVG_CHECK(t.msi(uint64_t{1} << 53, 0x40).kind == IrqOutcome::Invalid);  // no JavaScript number holds it exactly
  PVG_CHECK(t.msi(0xfee0'0000, 0x0f).kind == IrqOutcome::Invalid);        // an exception vector
  PVG_CHECK(t.msi(0xfee0'5000, 0x40).kind == IrqOutcome::UnknownTarget);  // vCPU 5 of 2
  PVG_CHECK(m.table.at(it::kInvalidMsisWord).load() == 2);
  PVG_CHECK(m.table.at(it::kUnknownTargetsWord).load() == 1);
  PVG_CHECK(m.table.at(it::kMsisWord).load() == 3);
  PVG_CHECK(m.table.at(it::kMsiDeliveriesWord).load() == 0);
  for (auto& v : m.vcpus) PVG_CHECK(v.at(pvg::irq::kSequenceWord).load() == 0);
  // The largest exact address still routes (bits 19:12 name vCPU 1).
  PVG_CHECK(t.msi((uint64_t{1} << 53) - 1 - 0xfe000, 0x41).kind == IrqOutcome::Delivered);
  PVG_CHECK(m.vcpus[1].at(pvg::irq::kPendingWord + 2).load() == 2);
  // Views refuse words that are not what they claim.
  PVG_CHECK(!InterruptTableRef::attach(m.table.data(), m.table.length() - 1, m.refs()));
  PVG_CHECK(!InterruptTableRef::attach(m.table.data(), m.table.length(), {}));
  SharedWords blank(pvg::irq::kWords);
  PVG_CHECK(!VcpuIrqRef::attach(blank.data(), blank.length()));
}

PVG_TEST("direct interrupts: MMIO variant pulses its edge lines, hands a level line back, and latches while masked") {
  Machine m({{false, 0, kGfxVector}, {false, 1, kIosfcVector}, {true, 0, 0x32}}, 2);
  pvg::engine::DirectInterrupts d({.table = m.view(), .route = m.route.data(), .msi = false, .gfxLine = kGfxLine, .iosfcLine = kIosfcLine});
  PVG_CHECK(d.raiseGfx(2).handled);
  PVG_CHECK(m.vcpus[0].at(pvg::irq::kPendingWord + 1).load() == 1 << (kGfxVector & 31));
  PVG_CHECK(d.raiseIosfc().handled);
  PVG_CHECK(m.vcpus[1].at(pvg::irq::kPendingWord + 1).load() == 1 << (kIosfcVector & 31));
  // Masked: latched in the table, counted as the line's, delivered by whoever unmasks.
  m.table.at(it::kLinesBase + kGfxLine * it::kLineWords + it::kLineStateWord).store(it::kLineMasked);
  const pvg::engine::DirectRaise latched = d.raiseGfx(0);
  PVG_CHECK(latched.handled && latched.outcome.kind == IrqOutcome::Latched);
  PVG_CHECK(m.lineWord(kGfxLine, it::kLineStateWord) == (it::kLineMasked | it::kLineLatched));
  PVG_CHECK(m.lineWord(kGfxLine, it::kLineMaskedLatchedWord) == 1);
  // A level line belongs to the controller actor: not touched here, left to the device actor.
  pvg::engine::DirectInterrupts level({.table = m.view(), .route = m.route.data(), .msi = false, .gfxLine = kLevelLine, .iosfcLine = kIosfcLine});
  PVG_CHECK(!level.raiseGfx(0).handled);
  PVG_CHECK(m.lineWord(kLevelLine, it::kLinePulsesWord) == 0);
  PVG_CHECK(m.route.at(ir::kRaisedWord).load() == 3);
  PVG_CHECK(m.route.at(ir::kDeliveredWord).load() == 3);
  PVG_CHECK(m.route.at(ir::kDeferredWord).load() == 1);
}

PVG_TEST("direct interrupts: PCI variant folds the vector into the enabled block, drops while disabled, defers a masked vector") {
  Machine m({}, 2);
  pvg::engine::DirectInterrupts d({.table = m.view(), .route = m.route.data(), .msi = true});
  PVG_CHECK(d.raiseGfx(0).dropped);  // MSI off at power-on
  m.publish(true, 0xfee0'1000, 0x44, 4, 0b0010);
  const pvg::engine::DirectRaise sent = d.raiseGfx(6);  // 6 folds to 2 of a block of 4: data 0x46
  PVG_CHECK(sent.handled && sent.data == 0x46 && sent.outcome.kind == IrqOutcome::Delivered && sent.outcome.vcpu == 1);
  PVG_CHECK(m.vcpus[1].at(pvg::irq::kPendingWord + 2).load() == 1 << 6);
  PVG_CHECK(!d.raiseGfx(5).handled);  // 5 folds to 1: masked, its pending bit is the device actor's
  PVG_CHECK(m.table.at(it::kMsisWord).load() == 1);
  // A block size the capability cannot have (the actor never publishes one) is taken as one vector.
  m.publish(true, 0xfee0'0000, 0x50, 3, 0);
  PVG_CHECK(d.raiseGfx(3).data == 0x50);
  PVG_CHECK(m.route.at(ir::kRaisedWord).load() == 3);
  PVG_CHECK(m.route.at(ir::kDeliveredWord).load() == 2);
  PVG_CHECK(m.route.at(ir::kDroppedWhileDisabledWord).load() == 1);
  PVG_CHECK(m.route.at(ir::kDeferredWord).load() == 1);
}

PVG_TEST("direct interrupts: engine threads pulse an edge line while it is masked and unmasked and vCPUs take and EOI") {
  constexpr int kThreads = 4, kRaises = 20'000;
  Machine m({{false, 0, kGfxVector}, {false, 1, kIosfcVector}}, 2);
  pvg::engine::DirectInterrupts d({.table = m.view(), .route = m.route.data(), .msi = false, .gfxLine = kGfxLine, .iosfcLine = kIosfcLine});
  std::atomic<bool> raising{true}, done{false};
  std::vector<VcpuThread> vcpus;
  for (uint32_t v = 0; v < 2; ++v) vcpus.emplace_back(m, v, done);
  std::vector<std::thread> threads;
  for (auto& v : vcpus) threads.emplace_back([&v] { v.run(); });
  // The controller actor's setMask on the gfx line: unmasking a latched pulse clears the latch
  // and delivers it (counted here: the table counted the pulse as latched, not as a delivery).
  uint64_t released = 0;
  std::thread masker([&] {
    pvg::Rng rng(17);
    auto state = m.table.at(it::kLinesBase + kGfxLine * it::kLineWords + it::kLineStateWord);
    while (raising.load()) {
      const bool mask = rng.below(2) == 0;
      int32_t s = state.load();
      while (!state.compare_exchange_weak(s, mask ? s | it::kLineMasked : s & ~(it::kLineMasked | it::kLineLatched))) {
      }
      if (!mask && (s & it::kLineLatched)) ++released;
      pvg::test::jitter(rng, 64);
    }
  });
  std::vector<std::thread> engines;
  for (int t = 0; t < kThreads; ++t) {
    engines.emplace_back([&, t] {
      pvg::Rng rng(100 + t);
      for (int i = 0; i < kRaises; ++i) {
        if (rng.below(4) == 0)
          d.raiseIosfc();
        else
          d.raiseGfx(0);
        pvg::test::jitter(rng);
      }
    });
  }
  for (auto& e : engines) e.join();
  raising.store(false);
  masker.join();
  done.store(true);
  for (auto& v : m.vcpus) {
    v.at(pvg::irq::kSequenceWord).fetch_add(1);
    pvg::futexWake(v.data() + pvg::irq::kSequenceWord, INT32_MAX);
  }
  for (auto& t : threads) t.join();

  const int32_t total = kThreads * kRaises;
  PVG_CHECK(m.route.at(ir::kRaisedWord).load() == total);
  PVG_CHECK(m.route.at(ir::kDeliveredWord).load() == total);
  const int32_t pulses = m.lineWord(kGfxLine, it::kLinePulsesWord) + m.lineWord(kIosfcLine, it::kLinePulsesWord);
  PVG_CHECK(pulses == total);
  // Every pulse was delivered or latched, exactly one of the two, and a latch only while masked.
  const int32_t gfxDelivered = m.lineWord(kGfxLine, it::kLineDeliveriesWord);
  const int32_t latched = m.lineWord(kGfxLine, it::kLineMaskedLatchedWord);
  PVG_CHECK(gfxDelivered + latched == m.lineWord(kGfxLine, it::kLinePulsesWord));
  PVG_CHECK(m.lineWord(kIosfcLine, it::kLineMaskedLatchedWord) == 0);
  PVG_CHECK(released <= static_cast<uint64_t>(latched));
  PVG_CHECK(latched > 0 && gfxDelivered > 0);
  // Each delivery that set a pending bit was taken and EOI'd once; the rest coalesced.
  const uint64_t taken = vcpus[0].takenByVector[kGfxVector] + vcpus[1].takenByVector[kIosfcVector];
  const int32_t deliveries = gfxDelivered + m.lineWord(kIosfcLine, it::kLineDeliveriesWord);
  PVG_CHECK(taken + static_cast<uint64_t>(m.table.at(it::kCoalescedWord).load()) == static_cast<uint64_t>(deliveries));
  PVG_CHECK(m.outstanding(0, kGfxVector) == 0 && m.outstanding(1, kIosfcVector) == 0);
  for (uint32_t v = 0; v < 256; ++v) {
    if (v != kGfxVector) PVG_CHECK(vcpus[0].takenByVector[v] == 0);
    if (v != kIosfcVector) PVG_CHECK(vcpus[1].takenByVector[v] == 0);
  }
}

PVG_TEST("direct interrupts: engine threads send MSIs while the device actor republishes the capability; no raise sees half a publish") {
  constexpr int kThreads = 4, kRaises = 20'000;
  // Each publish targets vCPU k with data 0x40 (vCPU 0) or 0x80 (vCPU 1) and a block of at most
  // 16 vectors: a raise that took the address of one publish and the data of another sends
  // 0x8x to vCPU 0 or 0x4x to vCPU 1, which the vCPUs would take.
  Machine m({}, 2);
  pvg::engine::DirectInterrupts d({.table = m.view(), .route = m.route.data(), .msi = true});
  std::atomic<bool> raising{true}, done{false};
  std::vector<VcpuThread> vcpus;
  for (uint32_t v = 0; v < 2; ++v) vcpus.emplace_back(m, v, done);
  std::vector<std::thread> threads;
  for (auto& v : vcpus) threads.emplace_back([&v] { v.run(); });
  std::thread actor([&] {
    pvg::Rng rng(5);
    while (raising.load()) {
      const uint32_t vcpu = rng.below(2);
      const uint32_t vectors = 1u << rng.below(5);
      const uint32_t mask = rng.below(3) == 0 ? static_cast<uint32_t>(rng.next()) : 0;
      m.publish(rng.below(8) != 0, 0xfee0'0000 | (vcpu << 12), vcpu == 0 ? 0x40 : 0x80, vectors, mask);
      pvg::test::jitter(rng, 64);
    }
  });
  std::vector<std::thread> engines;
  std::atomic<int> handledHere{0};
  for (int t = 0; t < kThreads; ++t) {
    engines.emplace_back([&, t] {
      pvg::Rng rng(200 + t);
      int handled = 0;
      for (int i = 0; i < kRaises; ++i) {
        if (d.raiseGfx(rng.below(64)).handled) ++handled;
        pvg::test::jitter(rng);
      }
      handledHere.fetch_add(handled);
    });
  }
  for (auto& e : engines) e.join();
  raising.store(false);
  actor.join();
  done.store(true);
  for (auto& v : m.vcpus) {
    v.at(pvg::irq::kSequenceWord).fetch_add(1);
    pvg::futexWake(v.data() + pvg::irq::kSequenceWord, INT32_MAX);
  }
  for (auto& t : threads) t.join();

  const int32_t raised = m.route.at(ir::kRaisedWord).load();
  const int32_t delivered = m.route.at(ir::kDeliveredWord).load();
  const int32_t dropped = m.route.at(ir::kDroppedWhileDisabledWord).load();
  const int32_t deferred = m.route.at(ir::kDeferredWord).load();
  PVG_CHECK(raised + deferred == kThreads * kRaises);
  PVG_CHECK(raised == handledHere.load());
  PVG_CHECK(delivered + dropped == raised);
  PVG_CHECK(delivered > 0 && dropped > 0 && deferred > 0);
  PVG_CHECK(m.table.at(it::kMsisWord).load() == delivered);
  PVG_CHECK(m.table.at(it::kMsiDeliveriesWord).load() == delivered);
  uint64_t taken = 0;
  for (uint32_t v = 0; v < 256; ++v) {
    taken += vcpus[0].takenByVector[v] + vcpus[1].takenByVector[v];
    const bool vcpu0 = v >= 0x40 && v < 0x50, vcpu1 = v >= 0x80 && v < 0x90;
    if (!vcpu0) PVG_CHECK(vcpus[0].takenByVector[v] == 0);  // a torn read of the route
    if (!vcpu1) PVG_CHECK(vcpus[1].takenByVector[v] == 0);
  }
  PVG_CHECK(taken + static_cast<uint64_t>(m.table.at(it::kCoalescedWord).load()) == static_cast<uint64_t>(delivered));
  for (uint32_t v = 0x40; v < 0x50; ++v) PVG_CHECK(m.outstanding(0, v) == 0);
  for (uint32_t v = 0x80; v < 0x90; ++v) PVG_CHECK(m.outstanding(1, v) == 0);
}
