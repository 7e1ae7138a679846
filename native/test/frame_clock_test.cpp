// A paced display's frame clock (engine/soft/frame_clock.h): ticks on a fixed grid from the
// first present, one frame a tick, late presents on the next tick of the same grid.
#include <chrono>

#include "engine/soft/frame_clock.h"
#include "harness.h"

using pvg::engine::FrameClock;
using namespace std::chrono;

namespace {
int64_t nsAfter(FrameClock::Clock::time_point start, FrameClock::Clock::time_point t) { return duration_cast<nanoseconds>(t - start).count(); }
}  // namespace

PVG_TEST("frame clock: the first present shows at once, then one a tick, exactly refreshHz ticks a second (no drift)") {
  for (uint32_t hz : {30u, 60u, 120u, 144u, 7u}) {
    FrameClock c;
    c.reset(hz);
    const auto t0 = FrameClock::Clock::now();
    const FrameClock::Vblank first = c.next(t0);
    PVG_CHECK(first.tick == 0 && first.at == t0 && first.skipped == 0);
    // A guest always early (asking right after each tick): every tick used, in order.
    FrameClock::Vblank v = first;
    for (uint64_t n = 1; n <= uint64_t{hz} * 3600; ++n) {
      v = c.next(v.at);
      if (v.tick != n || v.skipped != 0) break;
    }
    PVG_CHECK(v.tick == uint64_t{hz} * 3600);
    // An hour of ticks is an hour to the nanosecond: no period rounding accumulates.
    PVG_CHECK(nsAfter(t0, v.at) == int64_t{3600} * 1'000'000'000);
  }
}

PVG_TEST("frame clock: a late present takes the next tick of the same grid, and counts the ticks it missed") {
  FrameClock c;
  c.reset(60);
  const auto t0 = FrameClock::Clock::now();
  c.next(t0);
  // 2.5 periods late: ticks 1 and 2 passed with no frame; it shows on tick 3.
  const auto late = t0 + nanoseconds(16'666'666 * 2 + 16'666'666 / 2);
  const FrameClock::Vblank v = c.next(late);
  PVG_CHECK(v.tick == 3 && v.skipped == 2);
  PVG_CHECK(v.at >= late && nsAfter(t0, v.at) == 50'000'000);
  // Exactly on a tick: that tick.
  const FrameClock::Vblank w = c.next(t0 + nanoseconds(100'000'000));
  PVG_CHECK(w.tick == 6 && w.skipped == 2);
}

PVG_TEST("frame clock: a new mode restarts the grid at its own rate; refresh 0 is unpaced") {
  FrameClock c;
  c.reset(60);
  PVG_CHECK(c.paced());
  const auto t0 = FrameClock::Clock::now();
  c.next(t0);
  c.next(t0);
  c.reset(30);
  const auto t1 = t0 + milliseconds(5);
  PVG_CHECK(c.next(t1).at == t1);
  const FrameClock::Vblank v = c.next(t1);
  PVG_CHECK(v.tick == 1 && nsAfter(t1, v.at) == 33'333'333);
  c.reset(0);
  PVG_CHECK(!c.paced());
}
