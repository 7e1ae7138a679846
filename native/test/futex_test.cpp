#include <atomic>
#include <chrono>
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

PVG_TEST("futex: a wait on either word returns at once when either already changed") {
  int32_t a = 0;
  int32_t b = 1;
  PVG_CHECK(pvg::futexWaitEither(&a, 0, &b, 0, 1'000'000'000) == pvg::WaitResult::NotEqual);
  PVG_CHECK(pvg::futexWaitEither(&b, 0, &a, 0, 1'000'000'000) == pvg::WaitResult::NotEqual);
}

PVG_TEST("futex: a wait on either word times out when neither changes") {
  int32_t a = 0;
  int32_t b = 0;
  PVG_CHECK(pvg::futexWaitEither(&a, 0, &b, 0, 2'000'000) == pvg::WaitResult::TimedOut);
}

// Many rounds, each word's waker in turn, random delays: a change of either word and a wake on
// it always ends the sleep (a lost wake would sit out the 10 s limit and count a timeout).
PVG_TEST("futex: a change and wake of either word ends a wait on both, every time") {
  alignas(4) int32_t words[2] = {0, 0};
  constexpr int kRounds = 400;
  std::atomic<int> ready{-1};  // the round whose expected values the sleeper has read
  std::atomic<int> timeouts{0};
  auto load = [&](int i) { return std::atomic_ref<int32_t>(words[i]).load(); };
  std::thread sleeper([&] {
    for (int r = 0; r < kRounds; ++r) {
      int32_t a = load(0);
      int32_t b = load(1);
      ready.store(r);
      while (load(0) == a && load(1) == b) {
        if (pvg::futexWaitEither(&words[0], a, &words[1], b, 10'000'000'000) == pvg::WaitResult::TimedOut) timeouts.fetch_add(1);
      }
    }
  });
  uint32_t seed = 12345;
  for (int r = 0; r < kRounds; ++r) {
    while (ready.load() != r) std::this_thread::yield();
    seed = seed * 1103515245 + 12345;
    std::this_thread::sleep_for(std::chrono::microseconds((seed >> 16) % 200));
    int32_t* target = &words[r % 2];
    std::atomic_ref<int32_t>(*target).fetch_add(1);
    pvg::futexWake(target, 1);
  }
  sleeper.join();
  PVG_CHECK(timeouts.load() == 0);
}
