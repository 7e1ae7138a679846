// The engine's contexts by number, with a bitmap of the live ones, so that RESET, a power-on and a
// state save visit only the contexts in use instead of all 4 095 slots (docs/fuzzing.md, issue 16:
// the walk over every slot was about 16 % of the inline fuzz binaries' CPU). The bitmap is the
// only record of liveness, so it cannot disagree with the entries.
//
// Threads: task lanes (task_batch.h) run at once, each touching only its own context number;
// numbers share bitmap words, so bits change with atomic read-modify-writes. Relaxed order is
// enough: a lane reads only the bit it writes itself, and the executor, which walks the bitmap,
// has waited for the lanes (under the batch mutex) before it does.
#pragma once
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <vector>

#include "abi/protocol.h"

namespace pvg::engine {
class ContextTable {
 public:
  struct Context {
    uint32_t task = 0;
    uint64_t size = 0;
  };

  ContextTable() : entries_(kSlots) {}

  static bool inRange(uint32_t n) { return n != 0 && n <= proto::kMaxContexts; }

  // The live context `n`, or null (out of range or not live).
  Context* find(uint32_t n) {
    if (!inRange(n) || !isLive(n)) return nullptr;
    return &entries_[n];
  }
  const Context* find(uint32_t n) const { return const_cast<ContextTable*>(this)->find(n); }

  // Makes `n` (in range, not live) live with `c`.
  void add(uint32_t n, Context c) {
    entries_[n] = c;
    bits_[n / 64].fetch_or(bit(n), std::memory_order_relaxed);
  }
  // Makes `n` (in range) not live.
  void remove(uint32_t n) {
    bits_[n / 64].fetch_and(~bit(n), std::memory_order_relaxed);
    entries_[n] = Context{};
  }

  // Calls fn(number, context) for every live context, in ascending number order. Not while task
  // lanes run.
  template <typename Fn>
  void forEachLive(Fn&& fn) const {
    for (uint32_t w = 0; w < kWords; ++w) {
      for (uint64_t word = bits_[w].load(std::memory_order_relaxed); word != 0; word &= word - 1) {
        const uint32_t n = w * 64 + static_cast<uint32_t>(std::countr_zero(word));
        fn(n, entries_[n]);
      }
    }
  }

  // Makes every context not live. Not while task lanes run.
  void clear() {
    for (uint32_t w = 0; w < kWords; ++w) {
      for (uint64_t word = bits_[w].exchange(0, std::memory_order_relaxed); word != 0; word &= word - 1)
        entries_[w * 64 + static_cast<uint32_t>(std::countr_zero(word))] = Context{};
    }
  }

  size_t liveCount() const {
    size_t count = 0;
    for (const auto& w : bits_) count += static_cast<size_t>(std::popcount(w.load(std::memory_order_relaxed)));
    return count;
  }

 private:
  static constexpr uint32_t kSlots = proto::kMaxContexts + 1;  // indexed by number; 0 is never live
  static constexpr uint32_t kWords = (kSlots + 63) / 64;
  static uint64_t bit(uint32_t n) { return uint64_t{1} << (n % 64); }
  bool isLive(uint32_t n) const { return (bits_[n / 64].load(std::memory_order_relaxed) & bit(n)) != 0; }

  std::vector<Context> entries_;
  std::array<std::atomic<uint64_t>, kWords> bits_{};
};
}  // namespace pvg::engine
