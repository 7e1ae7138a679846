// Busy-wait helpers for spin loops.
#pragma once
#include <thread>

namespace pvg {
// A polite busy-wait hint (lets a hyperthread sibling run, saves power).
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// For waiting out another thread's few-instruction critical step: pause briefly, then yield,
// so a preempted holder gets the CPU back (this matters on small machines).
class Backoff {
 public:
  void pause() {
    if (++spins_ < 64) {
      cpuRelax();
    } else {
      std::this_thread::yield();
    }
  }

 private:
  int spins_ = 0;
};
}  // namespace pvg
