#include "core/futex.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace pvg {
WaitResult futexWait(int32_t* word, int32_t expected, int64_t timeoutNs) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeoutNs >= 0) {
    ts.tv_sec = static_cast<time_t>(timeoutNs / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeoutNs % 1'000'000'000);
    tsp = &ts;
  }
  // Every user of these words lives in this process, so private futexes are right.
  long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tsp, nullptr, 0);
  if (r == 0) return WaitResult::Woken;
  if (errno == EAGAIN) return WaitResult::NotEqual;
  if (errno == ETIMEDOUT) return WaitResult::TimedOut;
  return WaitResult::Woken;  // EINTR: let the caller re-check
}

namespace {
std::atomic<bool> waitvMissing{false};  // the kernel said ENOSYS once

timespec monotonicDeadline(int64_t timeoutNs) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t ns = static_cast<int64_t>(now.tv_nsec) + timeoutNs % 1'000'000'000;
  return timespec{static_cast<time_t>(now.tv_sec + timeoutNs / 1'000'000'000 + ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

WaitResult waitEitherBySlices(int32_t* a, int32_t expectedA, int32_t* b, int32_t expectedB, int64_t timeoutNs) {
  int64_t left = timeoutNs;
  for (;;) {
    if (__atomic_load_n(b, __ATOMIC_SEQ_CST) != expectedB) return WaitResult::NotEqual;
    int64_t slice = left < 0 || left > kEitherFallbackSliceNs ? kEitherFallbackSliceNs : left;
    WaitResult r = futexWait(a, expectedA, slice);
    if (r != WaitResult::TimedOut) return r;
    if (left >= 0 && (left -= slice) <= 0) return WaitResult::TimedOut;
  }
}
}  // namespace

WaitResult futexWaitEither(int32_t* a, int32_t expectedA, int32_t* b, int32_t expectedB, int64_t timeoutNs) {
  if (waitvMissing.load(std::memory_order_relaxed)) return waitEitherBySlices(a, expectedA, b, expectedB, timeoutNs);
  futex_waitv waiters[2]{};
  waiters[0].val = static_cast<uint32_t>(expectedA);
  waiters[0].uaddr = reinterpret_cast<uintptr_t>(a);
  waiters[0].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
  waiters[1].val = static_cast<uint32_t>(expectedB);
  waiters[1].uaddr = reinterpret_cast<uintptr_t>(b);
  waiters[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
  timespec deadline{};
  if (timeoutNs >= 0) deadline = monotonicDeadline(timeoutNs);
  long r = syscall(SYS_futex_waitv, waiters, 2, 0, timeoutNs >= 0 ? &deadline : nullptr, CLOCK_MONOTONIC);
  if (r >= 0) return WaitResult::Woken;
  if (errno == EAGAIN) return WaitResult::NotEqual;
  if (errno == ETIMEDOUT) return WaitResult::TimedOut;
  if (errno == ENOSYS) {
    waitvMissing.store(true, std::memory_order_relaxed);
    return waitEitherBySlices(a, expectedA, b, expectedB, timeoutNs);
  }
  return WaitResult::Woken;  // EINTR: let the caller re-check
}

int futexWake(int32_t* word, int count) {
  long r = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count < 0 ? INT_MAX : count, nullptr, nullptr, 0);
  return r < 0 ? 0 : static_cast<int>(r);
}
}  // namespace pvg
