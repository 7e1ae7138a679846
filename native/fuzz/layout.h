// The fuzzed machine: guest-physical layout, displays and limits shared by every harness.
// Small on purpose (small frames, 2 MiB of RAM): a run per input must stay cheap.
#pragma once
#include <array>
#include <cstdint>

#include "abi/protocol.h"

namespace pvg::fuzz {
inline constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;

// Guest RAM, then a hole (no region), then a read-only region the engine must never write.
inline constexpr uint64_t kRamBase = 0x4000'0000;
inline constexpr uint64_t kRamBytes = 2 * kMiB;
inline constexpr uint64_t kHoleGpa = kRamBase + kRamBytes;
inline constexpr uint64_t kRomBase = kHoleGpa + 64 * kKiB;
inline constexpr uint64_t kRomBytes = 64 * kKiB;

// Inside RAM: rings start at the base (up to 1 MiB); guest data, an IOSurface and free arena above.
inline constexpr uint64_t kRingGpa = kRamBase;
inline constexpr uint64_t kDataGpa = kRamBase + kMiB;        // 64×64 ARGB gradient (16 KiB)
inline constexpr uint64_t kCursorGpa = kDataGpa + 0x4000;    // 16×16 ARGB cursor (1 KiB)
inline constexpr uint64_t kBytesGpa = kDataGpa + 0x8000;     // byte pattern (32 KiB), READ_MEM source
inline constexpr uint64_t kSurfaceGpa = kDataGpa + 0x10000;  // 64×64 ARGB IOSurface (16 KiB)
inline constexpr uint64_t kArenaGpa = kDataGpa + 0x20000;    // zeros up to the end of RAM

// Display 0 is the one commands draw on; its third mode does not fit its surfaces (encodes of
// it are refused). Display 1 exists for the harness's barrier (see rig.h) and may be drawn on.
struct Mode {
  uint32_t width, height;
};
inline constexpr std::array<Mode, 4> kDisplay0Modes = {Mode{96, 64}, Mode{48, 32}, Mode{128, 96}, Mode{1, 1}};
inline constexpr std::array<Mode, 1> kDisplay1Modes = {Mode{16, 8}};
inline constexpr uint32_t kDisplays = 2;
// FEATURES of this machine's device: several displays and an IOSurface window, so every feature.
inline constexpr uint32_t kFeatures = engine::proto::FeatureCursor | engine::proto::FeatureFences | engine::proto::FeatureDamage |
                                      engine::proto::FeatureDisplays | engine::proto::FeatureIosfc | engine::proto::FeatureIrqInRing;
inline constexpr uint32_t kDisplay0Surfaces = 2;
inline constexpr uint64_t kMaxContextBytes = 4 * kMiB;
}  // namespace pvg::fuzz
