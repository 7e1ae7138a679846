// Fixed, deterministic test scenes for the CPU renderer: the native tests compare their FNV-1a
// checksums against constants, and the same scenes can be exported (e.g. as PNG) to look at.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/render/frame.h"

namespace pvg::engine {

inline constexpr uint32_t kGoldenWidth = 320;
inline constexpr uint32_t kGoldenHeight = 200;

enum GoldenScene : int {
  kGoldenFills = 0,      // overlapping fills, edges and corners, a checkerboard, a translucent fill
  kGoldenCopies = 1,     // overlapping copyRect in all four diagonal directions, and along a row
  kGoldenBlitCopy = 2,   // Copy blits of a generated gradient: padded unaligned rows, a sub-image, stride 0
  kGoldenBlitAlpha = 3,  // SourceOver blits with varying alpha over opaque and translucent destinations
  kGoldenCursors = 4,    // cursor glyphs of each bpp (8, 16, 24, 32) composited, clipped at all edges
  kGoldenAll = 5,        // everything: fills, an overlapping copy, both blits, a cursor
  kGoldenSceneCount = 6,
};

// Resizes the frame to kGoldenWidth x kGoldenHeight, clears it to opaque black and draws scene
// `which`. Returns false for an unknown scene number (the frame then holds just the cleared
// background), when the resize fails (frame unchanged), or if any drawing call of the scene did
// not return Ok (a bug: every call in a scene is valid).
bool renderGoldenScene(Frame& frame, int which);

// FNV-1a, 64-bit, over bytes.
uint64_t fnv1a64(std::span<const uint8_t> bytes);
// FNV-1a 64 of the frame's visible pixels as stored (B, G, R, A bytes, row after row).
uint64_t frameChecksum(const Frame& frame);

}  // namespace pvg::engine
