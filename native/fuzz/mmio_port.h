// MMIO completions as the vCPU sees them (vCPU 0, reply slot 0): the harness posts one access at
// a time and waits here until the engine's dispatcher completes it. Also a count of the engine
// threads alive, for checking that a run leaves none behind.
#pragma once
#include <dirent.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

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
  uint64_t waitRead() {
    std::unique_lock lock(mutex_);
    FUZZ_CHECK(done_.wait_for(lock, kStepLimit, [&] { return answered_; }), "MMIO read %u never completed", waitingFor_);
    return value_;
  }
  void waitWrites(uint64_t count) {
    std::unique_lock lock(mutex_);
    FUZZ_CHECK(done_.wait_for(lock, kStepLimit, [&] { return writesDone_ >= count; }), "MMIO write %llu never completed",
               static_cast<unsigned long long>(count));
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  uint32_t waitingFor_ = 0;
  bool answered_ = false;
  uint64_t value_ = 0, writesDone_ = 0;
};

// Engine threads alive in this process: those named "pvg-…" (each engine thread names itself).
// Counting only those keeps sanitizer runtimes' own threads (TSan starts one) out of the count.
inline size_t engineThreads() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string path = std::string("/proc/self/task/") + e->d_name + "/comm";
      char name[32] = {};
      if (FILE* f = std::fopen(path.c_str(), "r")) {
        n += std::fgets(name, sizeof name, f) != nullptr && std::strncmp(name, "pvg-", 4) == 0 ? 1 : 0;
        std::fclose(f);
      }
    }
    closedir(d);
  }
  return n;
}

}  // namespace pvg::fuzz
