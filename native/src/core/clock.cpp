#include "core/clock.h"

#include <ctime>
#include <sys/syscall.h>
#include <unistd.h>

namespace pvg {
namespace {
int64_t readClock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

int64_t monotonicNanos() { return readClock(CLOCK_MONOTONIC); }
double monotonicMicros() { return static_cast<double>(readClock(CLOCK_MONOTONIC)) / 1e3; }
double threadCpuMicros() { return static_cast<double>(readClock(CLOCK_THREAD_CPUTIME_ID)) / 1e3; }
// syscall rather than gettid(): glibc only grew the wrapper in 2.30.
uint32_t currentThreadId() { return static_cast<uint32_t>(syscall(SYS_gettid)); }
}  // namespace pvg
