#include "core/futex.h"

#include <cerrno>
#include <climits>
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

int futexWake(int32_t* word, int count) {
  long r = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count < 0 ? INT_MAX : count, nullptr, nullptr, 0);
  return r < 0 ? 0 : static_cast<int>(r);
}
}  // namespace pvg
