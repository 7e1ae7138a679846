// A display's frame-interval clock: the refresh ticks a paced display presents on (a vsync'd
// display: at most one new frame per refresh). Ticks lie on a grid, start + n × period, fixed
// when the clock starts (the first present after a mode set), so lateness never accumulates:
// a present that comes late takes the next tick of the same grid, not "now + period".
// Touched only by the ring executor (like the rest of a display's ring state).
#pragma once
#include <chrono>
#include <cstdint>

namespace pvg::engine {
class FrameClock {
 public:
  using Clock = std::chrono::steady_clock;

  // A new mode: `refreshHz` ticks a second, the grid starts at the next present.
  void reset(uint32_t refreshHz) {
    periodNs_ = refreshHz == 0 ? 0 : 1'000'000'000 / refreshHz;
    // The remainder, so that refreshHz periods make exactly one second (60 Hz: 16 666 666 ns
    // and 40 ns a second left over, spread one ns at a time): no drift over a long run.
    remainderNs_ = refreshHz == 0 ? 0 : 1'000'000'000 % refreshHz;
    refreshHz_ = refreshHz;
    started_ = false;
    tick_ = 0;
  }

  // The tick the next frame shows on: the first of the grid not before `now` and after the last
  // one used. Starts the grid at `now` (tick 0) the first time.
  struct Vblank {
    Clock::time_point at;
    uint64_t tick;
    uint64_t skipped;  // ticks that passed since the last one used, with no frame for them
  };
  Vblank next(Clock::time_point now) {
    if (!started_) {
      started_ = true;
      start_ = now;
      tick_ = 0;
      return {now, 0, 0};
    }
    uint64_t n = tick_ + 1;
    const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
    if (since > 0) {
      // ceil(since / period), corrected for the spread remainder below.
      uint64_t due = static_cast<uint64_t>(since) / periodNs_;
      while (tickTime(due) < now) ++due;
      n = due > n ? due : n;
    }
    const uint64_t skipped = n - (tick_ + 1);
    tick_ = n;
    return {tickTime(n), n, skipped};
  }

  bool paced() const { return periodNs_ != 0; }
  uint32_t refreshHz() const { return refreshHz_; }

 private:
  // start + n periods, exactly: whole seconds of refreshHz ticks, then the rest.
  Clock::time_point tickTime(uint64_t n) const {
    const uint64_t seconds = n / refreshHz_, rest = n % refreshHz_;
    const uint64_t ns = seconds * 1'000'000'000 + rest * periodNs_ + rest * remainderNs_ / refreshHz_;
    return start_ + std::chrono::nanoseconds(ns);
  }

  uint64_t periodNs_ = 0, remainderNs_ = 0;
  uint32_t refreshHz_ = 0;
  bool started_ = false;
  Clock::time_point start_{};
  uint64_t tick_ = 0;
};
}  // namespace pvg::engine
