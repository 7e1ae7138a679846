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
// Wakes up to count sleepers on word; returns how many were woken.
int futexWake(int32_t* word, int count);
}  // namespace pvg
