// The two register windows as a guest sees them (docs/protocol.md §1 and §4), and values decoded
// from the fuzz input by what each register means.
#pragma once
#include <array>
#include <cstdint>

#include "abi/protocol.h"
#include "input.h"
#include "layout.h"
#include "values.h"

namespace pvg::fuzz {
namespace P = engine::proto;

// Every documented gfx register, plus two offsets inside the window that are none.
inline constexpr std::array<uint32_t, 28> kGfxRegs = {P::RegId,
                                                      P::RegVersion,
                                                      P::RegFeatures,
                                                      P::RegStatus,
                                                      P::RegErrorCode,
                                                      P::RegErrorCount,
                                                      P::RegErrorAck,
                                                      P::RegIrqStatus,
                                                      P::RegIrqAck,
                                                      P::RegIrqMask,
                                                      P::RegRingGpaLo,
                                                      P::RegRingGpaHi,
                                                      P::RegRingSize,
                                                      P::RegRingControl,
                                                      P::RegDoorbell,
                                                      P::RegRingHead,
                                                      P::RegDisplayCount,
                                                      P::RegDisplaySelect,
                                                      P::RegModeCount,
                                                      P::RegModeSelect,
                                                      P::RegModeWidth,
                                                      P::RegModeHeight,
                                                      P::RegModeRefresh,
                                                      P::RegCurrentMode,
                                                      P::RegFenceCompleted,
                                                      P::RegReset,
                                                      0x01C,
                                                      0x3FFC};

inline constexpr std::array<uint32_t, 16> kIosfcRegs = {
    P::IosfcId,     P::IosfcStatus, P::IosfcErrorCode, P::IosfcErrorAck, P::IosfcSurface, P::IosfcGpaLo,     P::IosfcGpaHi,  P::IosfcWidth,
    P::IosfcHeight, P::IosfcStride, P::IosfcFlags,     P::IosfcCommand,  P::IosfcMapped,  P::IosfcIrqStatus, P::IosfcIrqAck, P::IosfcIrqMask};

// Surface widths and heights: the test surface's, the limits and just past them.
inline uint32_t dimension(Input& in) {
  const uint8_t s = in.u8();
  if (values::raw(s)) return in.u32();
  static constexpr std::array<uint32_t, 10> kDim = {64, 64, 16, 1, 0, 4096, 4097, 96, 8, 32};
  return s < 0xC0 ? kDim[s % kDim.size()] : s - 0xC0 + 1;
}

inline uint32_t iosfcValue(uint32_t offset, Input& in) {
  switch (offset) {
    case P::IosfcSurface: {
      const uint8_t s = in.u8();
      return values::raw(s) ? in.u32() : s % 8 < 6 ? s % 4 : s % 8 == 6 ? 31 : 32;
    }
    case P::IosfcGpaLo:
      return static_cast<uint32_t>(values::gpa(in));
    case P::IosfcGpaHi:
      return in.u8() < 0xE0 ? 0 : static_cast<uint32_t>(values::gpa(in) >> 32);
    case P::IosfcWidth:
    case P::IosfcHeight:
      return dimension(in);
    case P::IosfcStride:
      return values::stride(in);
    case P::IosfcFlags:
      return values::flags(in);
    case P::IosfcCommand: {
      const uint8_t s = in.u8();
      return values::raw(s) ? in.u32() : std::array<uint32_t, 6>{1, 1, 2, 2, 0, 3}[s % 6];
    }
    default:
      return values::word(in);
  }
}

inline uint32_t gfxValue(uint32_t offset, Input& in) {
  const uint8_t s = in.u8();
  if (values::raw(s)) return in.u32();
  switch (offset) {
    case P::RegRingGpaLo: {
      static constexpr std::array<uint64_t, 6> kGpa = {kRingGpa, kRingGpa, kArenaGpa, kRomBase, kRamBase + kRamBytes - 4096, kRingGpa + 0x800};
      return static_cast<uint32_t>(kGpa[s % kGpa.size()]);
    }
    case P::RegRingGpaHi:
      return s < 0xE0 ? 0 : 1;
    case P::RegRingSize: {
      static constexpr std::array<uint32_t, 8> kSize = {4096, 4096, 8192, 65536, 1 << 20, 2 << 20, 4095, 6144};
      return kSize[s % kSize.size()];
    }
    case P::RegRingControl:
      return s % 4 < 2 ? 1 : s % 4 == 2 ? 0 : 2;
    case P::RegDoorbell:
      return uint32_t{s} * 4 + (s >= 0xE0 ? 2 : 0);
    case P::RegReset:
      return s < 0xE0 ? P::kResetMagic : P::kResetMagic ^ 1;
    case P::RegIrqMask:
    case P::RegIrqAck:
      return s;
    case P::RegDisplaySelect:
    case P::RegModeSelect:
      return s % 6;
    default:
      return values::word(in);
  }
}
}  // namespace pvg::fuzz
