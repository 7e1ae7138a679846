// Futex wait/wake on a 32-bit word in shared memory. V8's Atomics.wait keeps its own waiter
// list and cannot be woken by a native thread, so every sleeper that a native thread may need
// to wake parks here instead (docs/design.md, "Doorbells").
#pragma once
#include <cstdint>

namespace pvg {
enum class WaitResult { Woken, NotEqual, TimedOut };

// Sleeps while *word == expected, up to timeoutNs (negative: no limit). Spurious wakeups are
// reported as Woken: callers re-check their condition.
WaitResult futexWait(int32_t* word, int32_t expected, int64_t timeoutNs);
// Sleeps while *a == expectedA and *b == expectedB, up to timeoutNs (negative: no limit): a wake
// on either word or a change of either ends it (Linux's futex_waitv, 5.16+, as one ppoll waits on
// several event sources). Where the kernel lacks futex_waitv it sleeps on `a` in short slices and
// looks at `b` between them, so a change of `b` is seen within kEitherFallbackSliceNs.
WaitResult futexWaitEither(int32_t* a, int32_t expectedA, int32_t* b, int32_t expectedB, int64_t timeoutNs);
inline constexpr int64_t kEitherFallbackSliceNs = 100'000;
// Wakes up to count sleepers on word; returns how many were woken.
int futexWake(int32_t* word, int count);
}  // namespace pvg
