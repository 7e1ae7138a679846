#include "testing/kvm/exit_bench.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/futex.h"
#include "core/rng.h"
#include "abi/vcpu_irq_layout.h"
#include "kvm/kvm_system.h"
#include "kvm/kvm_vcpu.h"
#include "kvm/kvm_vm.h"
#include "testing/kvm/tiny_guest.h"
#include "kvm/vcpu_kick.h"

namespace pvg::kvm {
namespace {
constexpr uint8_t kInjectVector = 40;
constexpr int64_t kHaltWaitNs = 100'000'000;  // what KvmGuest gives waitForInterrupt (100 ms)

std::atomic_ref<int32_t> word(int32_t* words, uint32_t index) { return std::atomic_ref<int32_t>(words[index]); }

double micros(int64_t ns) { return static_cast<double>(ns) / 1e3; }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string describe(const VcpuExit& e) {
  return "exit kind " + std::to_string(static_cast<uint32_t>(e.kind)) + " at " + hex(e.address) + " (detail " + std::to_string(e.detail) + ")";
}

/** A vCPU's interrupt-state words (shared/irq/layout.ts), zeroed, with the magic set. */
struct IrqWords {
  alignas(64) int32_t w[irq::kWords] = {};
  IrqWords() { w[irq::kMagicWord] = irq::kMagic; }
};

/** Runs `body` on a thread of its own, joins it, and rethrows what it threw. */
template <class F>
void onOwnThread(F&& body) {
  std::exception_ptr error;
  std::thread t([&] {
    try {
      body();
    } catch (...) {
      error = std::current_exception();
    }
  });
  t.join();
  if (error) std::rethrow_exception(error);
}

// ------------------------------------------------- the interrupt-state protocol, as in vcpu-irq.ts

struct Rung {
  bool parked = false;
  bool kicked = false;
};

/** ring(): wake the vCPU if it announced that it sleeps; kick it if it is inside KVM_RUN. */
Rung ring(int32_t* w) {
  Rung r;
  if (word(w, irq::kParkedWord).load() != 0) {
    word(w, irq::kWakesWord).fetch_add(1);
    futexWake(&w[irq::kSequenceWord], INT_MAX);
    r.parked = true;
  }
  int32_t thread = word(w, irq::kKickThreadWord).load();
  if (thread != 0) r.kicked = kickThread(thread);
  return r;
}

/** deliver(vector): the bit first, then the sequence, then ring. */
Rung deliver(int32_t* w, uint32_t vector) {
  word(w, irq::kPendingWord + (vector >> 5)).fetch_or(static_cast<int32_t>(1u << (vector & 31)));
  word(w, irq::kSequenceWord).fetch_add(1);
  return ring(w);
}

/** requestStop(): sticky stop, sequence bump, ring. */
void requestStop(int32_t* w) {
  word(w, irq::kStopWord).store(1);
  word(w, irq::kSequenceWord).fetch_add(1);
  ring(w);
}

enum class HaltOutcome { Interrupt, TimedOut, Stopped };

std::optional<HaltOutcome> check(int32_t* w) {
  if (word(w, irq::kStopWord).load() != 0) return HaltOutcome::Stopped;
  for (uint32_t i = 0; i < irq::kPendingWords; ++i) {
    if (word(w, irq::kPendingWord + i).load() != 0) return HaltOutcome::Interrupt;
  }
  return std::nullopt;
}

/** waitForInterrupt(timeout, spin): spin on the sequence, then announce, re-check, and park. */
HaltOutcome waitForInterrupt(int32_t* w, uint32_t spin, int64_t timeoutNs) {
  auto sequence = word(w, irq::kSequenceWord);
  int32_t seen = sequence.load();
  if (auto o = check(w)) return *o;
  for (uint32_t i = 0; i < spin; ++i) {
    int32_t now = sequence.load();
    if (now == seen) continue;
    seen = now;
    if (auto o = check(w)) return *o;
  }
  int64_t deadline = monotonicNanos() + timeoutNs;
  for (;;) {
    word(w, irq::kParkedWord).store(1);
    // Read the sequence, then re-check, after announcing (docs/interrupts.md).
    seen = sequence.load();
    int64_t left = deadline - monotonicNanos();
    auto o = check(w);
    if (o || left <= 0) {
      word(w, irq::kParkedWord).store(0);
      return o.value_or(HaltOutcome::TimedOut);
    }
    word(w, irq::kParksWord).fetch_add(1);
    futexWait(&w[irq::kSequenceWord], seen, left);
    word(w, irq::kParkedWord).store(0);
    if ((o = check(w))) return *o;
  }
}
}  // namespace

std::vector<double> rawExitBench(uint32_t iterations, const RawExitBenchOptions& options) {
  // In ring 3, where the real guest's MMIO comes from (and where PVM runs code natively).
  tiny::TinyGuest guest(tiny::mmioReadLoop(static_cast<uint32_t>(tiny::kMmio), true));
  auto vm = std::make_shared<KvmVm>();  // after the guest: its slots go before the RAM does
  guest.attach(*vm);
  std::vector<double> samples;
  samples.reserve(iterations);
  onOwnThread([&] {
    IrqWords irqWords;
    KvmVcpu v(vm, 0, irqWords.w, 0);
    v.enterLongMode(guest.entry());
    auto expectRead = [](const VcpuExit& e) {
      if (e.kind != ExitKind::MmioRead || e.address != tiny::kMmio || e.size != 4)
        throw KvmError("raw exit bench: expected a 4-byte MMIO read at " + hex(tiny::kMmio) + ", got " + describe(e));
    };
    expectRead(v.run());
    const uint64_t total = uint64_t{options.warmup} + iterations;
    uint32_t interrupted = 0;
    for (uint64_t i = 0; i < total;) {
      int64_t t0 = monotonicNanos();
      v.completeRead(0);
      VcpuExit e = v.run();
      int64_t t1 = monotonicNanos();
      if (e.kind == ExitKind::Interrupted) {
        // A stray signal ended KVM_RUN before the read: the guest did not get there; not a sample.
        if (++interrupted > 1000) throw KvmError("raw exit bench: KVM_RUN keeps being interrupted");
        continue;
      }
      expectRead(e);
      if (i >= options.warmup) samples.push_back(micros(t1 - t0));
      ++i;
    }
  });
  return samples;
}

InjectBenchResult injectBench(uint32_t iterations, const InjectBenchOptions& options) {
  if (options.minGapUs > options.maxGapUs) throw KvmError("inject bench: minGapUs must not exceed maxGapUs");
  tiny::TinyGuest guest(tiny::haltLoop(kInjectVector));
  auto vm = std::make_shared<KvmVm>();
  guest.attach(*vm);

  const uint32_t total = options.warmup + iterations;
  IrqWords irqWords;
  int32_t* irqState = irqWords.w;
  // When each delivery's handler reached the host (written by the vCPU thread before it counts it).
  std::vector<int64_t> handledAt(total);
  std::atomic<uint32_t> handled{0};
  std::atomic<bool> halted{false}, failed{false};
  // Bumped and woken on every event the deliverer waits for (first halt, a handled interrupt, failure).
  alignas(4) int32_t events = 0;
  auto signal = [&] {
    std::atomic_ref<int32_t>(events).fetch_add(1);
    futexWake(&events, INT_MAX);
  };
  // What the vCPU thread is doing (for the timeout's message): the last exit kind, and whether it
  // is inside KVM_RUN (1) or waiting for an interrupt (2).
  std::atomic<uint32_t> lastExit{0}, phase{0};
  // Where the guest was when a stop ended its KVM_RUN (so a stall's report says where it stalled).
  std::string stoppedAt;
  std::exception_ptr vcpuError;
  InjectBenchResult result;
  result.latenciesUs.reserve(iterations);

  std::thread vcpuThread([&] {
    try {
      KvmVcpu v(vm, 0, irqState, 0);
      v.enterLongMode(guest.entry());
      uint32_t seen = 0;
      while (seen < total) {
        phase.store(1);
        VcpuExit e = v.run();
        phase.store(0);
        lastExit.store(static_cast<uint32_t>(e.kind));
        switch (e.kind) {
          case ExitKind::IoOut: {
            int64_t t = monotonicNanos();
            if (e.address != tiny::kEoiPort || e.value != kInjectVector)
              throw KvmError("inject bench: unexpected port write " + hex(e.value) + " to port " + hex(e.address));
            handledAt[seen++] = t;
            handled.store(seen);
            signal();
            break;
          }
          case ExitKind::Halt:
            if (!halted.load()) {
              halted.store(true);
              signal();
            }
            phase.store(2);
            if (waitForInterrupt(irqState, options.haltSpin, kHaltWaitNs) == HaltOutcome::Stopped) return;
            phase.store(0);
            break;
          case ExitKind::Interrupted:
          case ExitKind::InterruptWindow:
            if (word(irqState, irq::kStopWord).load() != 0) {
              VcpuRegisters r = v.registers();
              stoppedAt = "rip " + hex(r.rip) + ", rflags " + hex(r.rflags) + ", rsp " + hex(r.rsp) + ", " + std::to_string(v.injections()) + " injections";
              return;
            }
            break;
          default:
            throw KvmError("inject bench: unexpected " + describe(e));
        }
      }
    } catch (...) {
      vcpuError = std::current_exception();
      failed.store(true);
      signal();
    }
  });

  std::exception_ptr delivererError;
  std::string stall;  // a delivery not handled in time: what the deliverer saw
  try {
    auto waitFor = [&](auto done, const std::string& what) {
      int64_t deadline = monotonicNanos() + int64_t{options.timeoutMs} * 1'000'000;
      for (;;) {
        int32_t seen = std::atomic_ref<int32_t>(events).load();
        if (failed.load()) throw KvmError("inject bench: the vCPU thread failed");  // replaced by its error below
        if (done()) return;
        int64_t left = deadline - monotonicNanos();
        if (left <= 0) {
          uint32_t where = phase.load();
          stall = "inject bench: " + what + " within " + std::to_string(options.timeoutMs) + " ms (vCPU " +
                  (where == 1   ? "in KVM_RUN"
                   : where == 2 ? "waiting for an interrupt"
                                : "between runs") +
                  ", last exit kind " + std::to_string(lastExit.load()) + ", " + std::to_string(handled.load()) + " handled, pending word " +
                  hex(static_cast<uint32_t>(word(irqState, irq::kPendingWord + (kInjectVector >> 5)).load())) + ", parked " +
                  std::to_string(word(irqState, irq::kParkedWord).load()) + ", kick thread " + std::to_string(word(irqState, irq::kKickThreadWord).load()) +
                  ")";
          throw KvmError(stall);
        }
        futexWait(&events, seen, left);
      }
    };
    waitFor([&] { return halted.load(); }, "the guest did not halt");
    Rng rng(options.seed);
    const uint32_t span = options.maxGapUs - options.minGapUs + 1;
    for (uint32_t i = 0; i < total; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(options.minGapUs + rng.below(span)));
      int64_t t0 = monotonicNanos();
      Rung r = deliver(irqState, kInjectVector);
      waitFor([&] { return handled.load() > i; }, "interrupt " + std::to_string(i) + " was not handled");
      if (i >= options.warmup) {
        result.latenciesUs.push_back(micros(handledAt[i] - t0));
        result.parked += r.parked ? 1 : 0;
        result.kicked += r.kicked ? 1 : 0;
      }
    }
  } catch (...) {
    delivererError = std::current_exception();
  }
  requestStop(irqState);
  vcpuThread.join();
  if (vcpuError) std::rethrow_exception(vcpuError);
  // The vCPU thread is joined: what it wrote is ours to read.
  if (!stall.empty()) throw KvmError(stall + (stoppedAt.empty() ? "" : "; stopped at " + stoppedAt));
  if (delivererError) std::rethrow_exception(delivererError);
  return result;
}
}  // namespace pvg::kvm
