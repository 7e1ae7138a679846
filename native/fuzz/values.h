// Field values decoded from the fuzz input by what the field means, so that most values are ones
// the engine must take seriously (a mapped context, an address in RAM, a rectangle at the frame's
// edge) and the rest are the ones it must refuse (unaligned, outside RAM, wrapping, huge). Each
// decoder takes one selector byte (plus a byte or two for some choices); a selector of 0xF0 or
// above always means "the raw bits that follow", so every value stays reachable.
#pragma once
#include <array>
#include <cstdint>

#include "input.h"
#include "layout.h"

namespace pvg::fuzz::values {
inline bool raw(uint8_t selector) { return selector >= 0xF0; }

// Context numbers: the ones the prelude creates, the edges of the valid range, and beyond.
inline uint32_t ctx(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  static constexpr std::array<uint32_t, 8> kCtx = {1, 2, 3, 1, 2, 0, 4095, 4096};
  return kCtx[s % kCtx.size()];
}

inline uint32_t display(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  return s % 8 < 6 ? 0 : s % 8 == 6 ? 1 : 2;
}

inline uint32_t small(Input& in, uint32_t n) {
  const uint8_t s = in.u8();
  return raw(s) ? in.u32() : s % n;
}

// Coordinates and extents near the frames' sizes (96×64, 48×32, 128×96, 1×1, 16×8).
inline uint32_t coord(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  if (s < 0xC0) return s % 130;
  if (s < 0xD0) return 0xFFFFFFFFu - (s & 0xF);  // wraps when added to anything
  if (s < 0xE0) return 0x80000000u + (s & 0xF);
  return 4096u << (s & 3);
}

// 64-bit task-window offsets: page-aligned inside a context mostly, else unaligned or wild.
inline uint64_t va(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u64();
  switch (s % 8) {
    case 0:
    case 1:
    case 2:
      return uint64_t{in.u8()} * 4096;
    case 3:
      return 0;
    case 4:
      return uint64_t{in.u8()} * 4 + 1;  // unaligned
    case 5:
      return kMaxContextBytes - 4096;  // the last page of the largest window
    case 6:
      return ~0ull - 4095;  // wraps
    default:
      return uint64_t{1} << (32 + s % 31);  // far outside
  }
}

// Guest-physical addresses: RAM pages and the guest data mostly; the read-only region, the hole,
// RAM's last page (a longer range runs past it), unaligned and wild ones.
inline uint64_t gpa(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u64();
  switch (s % 12) {
    case 0:
    case 1:
      return kArenaGpa + uint64_t{in.u8()} * 4096;
    case 2:
      return kDataGpa;
    case 3:
      return kSurfaceGpa;
    case 4:
      return kBytesGpa;
    case 5:
      return kRomBase + uint64_t{in.u8()} % 16 * 4096;
    case 6:
      return kHoleGpa;
    case 7:
      return kRamBase + kRamBytes - 4096;
    case 8:
      return kRingGpa;
    case 9:
      return kArenaGpa + uint64_t{in.u8()} * 4 + 2;  // unaligned
    case 10:
      return ~0ull - 4095;  // wraps
    default:
      return uint64_t{s} << 40;  // nowhere
  }
}

// Byte sizes of tasks and mappings: page multiples mostly, then the refusals.
inline uint64_t size(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u64();
  switch (s % 8) {
    case 0:
    case 1:
    case 2:
      return 4096ull << (in.u8() % 11);  // 4 KiB … 4 MiB
    case 3:
      return 4096;
    case 4:
      return 0;
    case 5:
      return 4097;
    case 6:
      return kMaxContextBytes + 4096;
    default:
      return ~0ull - 4095;
  }
}

// READ_MEM lengths: up to and just past the 64 KiB limit.
inline uint32_t length(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  static constexpr std::array<uint32_t, 8> kLen = {4, 64, 4096, 1024, 65536, 65537, 0, 3};
  return s < 0x80 ? kLen[s % kLen.size()] : uint32_t{in.u8()} * 256;
}

inline uint32_t flags(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  return s % 8 < 3 ? 0 : s % 8 < 6 ? 1 : 2 << (s % 8);
}

// Row strides in bytes: a 64-pixel row, a 16-pixel row, 0, odd, huge.
inline uint32_t stride(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  static constexpr std::array<uint32_t, 10> kStride = {256, 256, 64, 48, 1024, 0, 3, 4, 0xFFFFFFFCu, 0x40000};
  return s < 0xC0 ? kStride[s % kStride.size()] : uint32_t{in.u8()} * 4;
}

inline uint32_t bpp(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  static constexpr std::array<uint32_t, 8> kBpp = {32, 24, 16, 8, 32, 0, 1, 33};
  return kBpp[s % kBpp.size()];
}

inline uint32_t word(Input& in) {
  const uint8_t s = in.u8();
  if (raw(s)) return in.u32();
  return s < 0x80 ? s : 0xFF000000u | (s * 0x010203u);
}
}  // namespace pvg::fuzz::values
