// MMIO completions as the vCPU sees them (vCPU 0, reply slot 0): the harness posts one access at
// a time and waits here until the engine's dispatcher completes it.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "engine/contract.h"
#include "check.h"

namespace pvg::fuzz {
using namespace std::chrono_literals;

// How long any single step may take before the run counts as hung (a finding).
inline constexpr auto kStepLimit = 10s;

class MmioPort final : public engine::MmioCompleter {
 public:
  void readDone(const engine::MmioTicket& t, uint64_t value) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(t.vcpu == 0 && t.slot == 0 && t.requestId == waitingFor_ && !answered_, "read completion for vcpu %u slot %u id %u", t.vcpu, t.slot,
               t.requestId);
    value_ = value;
    answered_ = true;
    done_.notify_all();
  }
  void writeDone(const engine::MmioTicket& t) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(t.vcpu == 0, "write completion for vcpu %u", t.vcpu);
    writesDone_++;
    done_.notify_all();
  }
  uint32_t beginRead() {
    std::lock_guard lock(mutex_);
    answered_ = false;
    return ++waitingFor_;
  }
  // Both waits look first: with the inline engine the completion is always there already, and
  // wait_for would read the clock (its deadline) for nothing — a clock read per access.
  uint64_t waitRead() {
    std::unique_lock lock(mutex_);
    FUZZ_CHECK(answered_ || done_.wait_for(lock, kStepLimit, [&] { return answered_; }), "MMIO read %u never completed", waitingFor_);
    return value_;
  }
  void waitWrites(uint64_t count) {
    std::unique_lock lock(mutex_);
    FUZZ_CHECK(writesDone_ >= count || done_.wait_for(lock, kStepLimit, [&] { return writesDone_ >= count; }), "MMIO write %llu never completed",
               static_cast<unsigned long long>(count));
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  uint32_t waitingFor_ = 0;
  bool answered_ = false;
  uint64_t value_ = 0, writesDone_ = 0;
};

}  // namespace pvg::fuzz
