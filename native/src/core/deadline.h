// A timeout turned into an absolute CLOCK_MONOTONIC deadline, so loops that wake spuriously or
// retry wait only for what is left.
#pragma once
#include <cstdint>

#include "core/clock.h"

namespace pvg {
class Deadline {
 public:
  // timeoutNs < 0: never expires.
  explicit Deadline(int64_t timeoutNs) : at_(timeoutNs < 0 ? -1 : monotonicNanos() + timeoutNs) {}
  bool infinite() const { return at_ < 0; }
  // Nanoseconds left (0 once expired); -1 when infinite, the futexWait convention.
  int64_t remainingNs() const {
    if (at_ < 0) return -1;
    int64_t left = at_ - monotonicNanos();
    return left > 0 ? left : 0;
  }
  bool expired() const { return at_ >= 0 && monotonicNanos() >= at_; }

 private:
  int64_t at_;
};
}  // namespace pvg
