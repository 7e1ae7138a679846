// Posted MMIO writes: per-vCPU completion counters in a SAB. Mirrors shared/mmio/completion.ts.
// A vCPU counts the writes it issued; a device bumps `completed` when it has carried one out and
// wakes the vCPU if it announced that it waits (credit window full, or a synchronous write).
#pragma once
#include <cstdint>

namespace pvg::mmio {
inline constexpr uint32_t kWordsPerVcpu = 16;  // one cache line each
inline constexpr uint32_t kCompletedWord = 0;
inline constexpr uint32_t kWaitingWord = 1;
}  // namespace pvg::mmio
