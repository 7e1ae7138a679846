// The clocks and thread identity used by traces and benchmarks.
#include <thread>
#include <unistd.h>

#include "core/clock.h"
#include "harness.h"

PVG_TEST("clock: monotonic time never goes back and agrees with CLOCK_MONOTONIC in microseconds") {
  double prev = pvg::monotonicMicros();
  for (int i = 0; i < 10'000; ++i) {
    double now = pvg::monotonicMicros();
    PVG_CHECK(now >= prev);
    prev = now;
  }
  int64_t ns = pvg::monotonicNanos();
  double us = pvg::monotonicMicros();
  PVG_CHECK(us >= static_cast<double>(ns) / 1e3);
}

PVG_TEST("clock: thread CPU time grows with work done on the calling thread") {
  double before = pvg::threadCpuMicros();
  volatile uint64_t sink = 0;
  while (pvg::threadCpuMicros() - before < 2'000) sink = sink + 1;  // ends only if the clock advances
  PVG_CHECK(pvg::threadCpuMicros() > before);
}

PVG_TEST("clock: currentThreadId is the kernel thread id") {
  uint32_t mainId = pvg::currentThreadId();
  PVG_CHECK(mainId == static_cast<uint32_t>(getpid()));  // the main thread's tid is the pid
  uint32_t otherId = 0;
  std::thread([&] { otherId = pvg::currentThreadId(); }).join();
  PVG_CHECK(otherId != 0 && otherId != mainId);
}
