// A cap on how many of a VM's threads spin at once, shared with the JavaScript actors
// (shared/doorbell/spin-gate.ts: word 0 counts the spinners, word 1 is the limit; docs/doorbells.md,
// "The spin gate"). A spinner that finds no free place parks at once: past the machine's cores,
// spinners only take turns on the cores the working threads need.
#pragma once
#include <atomic>
#include <cstdint>

namespace pvg {
class SpinGate {
 public:
  static constexpr uint32_t kSpinningWord = 0;
  static constexpr uint32_t kLimitWord = 1;
  static constexpr uint32_t kWords = 2;

  SpinGate() = default;  // no gate: every spin is allowed
  explicit SpinGate(int32_t* words) : words_(words) {}

  // Takes a place if one is free; every true must be paired with leave().
  bool tryEnter() const {
    if (words_ == nullptr) return true;
    std::atomic_ref<int32_t> spinning(words_[kSpinningWord]);
    if (spinning.fetch_add(1) < std::atomic_ref<int32_t>(words_[kLimitWord]).load()) return true;
    spinning.fetch_sub(1);
    return false;
  }
  void leave() const {
    if (words_ != nullptr) std::atomic_ref<int32_t>(words_[kSpinningWord]).fetch_sub(1);
  }

 private:
  int32_t* words_ = nullptr;
};

// One spin's place at the gate, given back when it goes out of scope.
class SpinPlace {
 public:
  explicit SpinPlace(const SpinGate& gate) : gate_(gate), held_(gate.tryEnter()) {}
  ~SpinPlace() {
    if (held_) gate_.leave();
  }
  SpinPlace(const SpinPlace&) = delete;
  SpinPlace& operator=(const SpinPlace&) = delete;
  explicit operator bool() const { return held_; }

 private:
  const SpinGate& gate_;
  bool held_;
};
}  // namespace pvg
