// Clocks and thread identity shared by the trace rings and the bindings. CLOCK_MONOTONIC is the
// clock behind Node's process.hrtime/performance.now on Linux, so native and JS timestamps line up.
#pragma once
#include <cstdint>

namespace pvg {
int64_t monotonicNanos();
double monotonicMicros();
// CPU time consumed by the calling thread (CLOCK_THREAD_CPUTIME_ID), in microseconds.
double threadCpuMicros();
// The kernel thread id (gettid), as shown by top -H and perf.
uint32_t currentThreadId();
}  // namespace pvg
