// The fuzz input read front to back, like a guest driver's decisions: each value takes the next
// bytes; past the end every read gives 0 (so a short input is still a whole, deterministic run).
#pragma once
#include <cstddef>
#include <cstdint>

namespace pvg::fuzz {
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return at_ >= size_; }
  size_t left() const { return at_ < size_ ? size_ - at_ : 0; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (uint32_t{u16()} << 16); }
  uint64_t u64() { return u32() | (uint64_t{u32()} << 32); }
  // One of n choices (n > 0), from one byte.
  uint32_t below(uint32_t n) { return u8() % n; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};
}  // namespace pvg::fuzz
