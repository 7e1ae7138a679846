#include <atomic>
#include <thread>

#include "core/futex.h"
#include "harness.h"

PVG_TEST("futex: a wait on a changed word returns at once") {
  int32_t word = 1;
  PVG_CHECK(pvg::futexWait(&word, 0, 1'000'000) == pvg::WaitResult::NotEqual);
}

PVG_TEST("futex: a wait times out") {
  int32_t word = 0;
  PVG_CHECK(pvg::futexWait(&word, 0, 1'000'000) == pvg::WaitResult::TimedOut);
}

PVG_TEST("futex: another thread wakes a sleeper") {
  alignas(4) int32_t word = 0;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    while (std::atomic_ref<int32_t>(word).load() == 0) pvg::futexWait(&word, 0, 1'000'000'000);
    woke = true;
  });
  std::atomic_ref<int32_t>(word).store(1);
  pvg::futexWake(&word, 1);
  sleeper.join();
  PVG_CHECK(woke.load());
}
