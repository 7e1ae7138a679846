// Happens-before edges ThreadSanitizer cannot see, told to it by hand. Some of our native code
// hands memory from one thread to another through JavaScript Atomics on a SharedArrayBuffer (a
// mailbox record, an answer the compositor reads): the order is real, but V8's atomics are not
// instrumented, so without these TSan reports the two native accesses on either side as a race.
// Each edge names one address both sides agree on: release after the last access before the
// hand-over, acquire before the first access after it. Outside a TSan build they compile to nothing.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define PVG_TSAN_EDGES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PVG_TSAN_EDGES 1
#endif
#endif

#ifdef PVG_TSAN_EDGES
#include <sanitizer/tsan_interface.h>
#endif

namespace pvg::tsan {
inline void release([[maybe_unused]] const void* address) {
#ifdef PVG_TSAN_EDGES
  __tsan_release(const_cast<void*>(address));
#endif
}

inline void acquire([[maybe_unused]] const void* address) {
#ifdef PVG_TSAN_EDGES
  __tsan_acquire(const_cast<void*>(address));
#endif
}
}  // namespace pvg::tsan
