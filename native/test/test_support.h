// Helpers for the native concurrency tests: SAB-like word storage, a seeded PRNG, random jitter.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/rng.h"

namespace pvg::test {
// Zeroed words, 8-byte aligned like a SharedArrayBuffer's base (the trace ring's f64 fields need it).
class SharedWords {
 public:
  explicit SharedWords(size_t words) : storage_((words + 1) / 2 + 1, 0), length_(words) {}
  int32_t* data() { return reinterpret_cast<int32_t*>(storage_.data()); }
  size_t length() const { return length_; }
  std::atomic_ref<int32_t> at(size_t i) { return std::atomic_ref<int32_t>(data()[i]); }

 private:
  std::vector<int64_t> storage_;
  size_t length_;
};

using pvg::Rng;

// Perturbs the interleaving: usually nothing, sometimes a yield, one call in sleepOneIn a short
// sleep. Sleeps are kept rare because each costs ~60 us of timer slack.
inline void jitter(Rng& rng, uint32_t sleepOneIn = 512) {
  uint32_t r = rng.below(sleepOneIn);
  if (r == 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(1 + rng.below(50)));
  } else if (r <= sleepOneIn / 16) {
    std::this_thread::yield();
  }
}

// Polls cond (with yields) for up to a generous limit; for "wait until the other thread parked".
template <class Cond>
bool eventually(Cond cond, std::chrono::milliseconds limit = std::chrono::milliseconds(10'000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kUnderTsan = true;
#else
inline constexpr bool kUnderTsan = false;
#endif
#else
inline constexpr bool kUnderTsan = false;
#endif
}  // namespace pvg::test
