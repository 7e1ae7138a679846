// Display surfaces in a SAB: where the engine's encodeCurrentFrame writes and the compositor
// reads. Mirrors shared/display/surface-layout.ts. A surface is a 512-byte header and then
// pixels (ARGB8888, `stride` bytes per row); a pool holds `count` surfaces of equal size.
#pragma once
#include <cstdint>

namespace pvg::surface {
inline constexpr uint32_t kHeaderBytes = 512;
inline constexpr uint32_t kGenerationWord = 0;  // mode generation the pixels belong to
inline constexpr uint32_t kWidthWord = 1;
inline constexpr uint32_t kHeightWord = 2;
inline constexpr uint32_t kStrideWord = 3;       // bytes per row
inline constexpr uint32_t kFrameSeqWord = 4;     // the presented frame this encode captured
inline constexpr uint32_t kDamageCountWord = 5;  // rectangles below; 0 = nothing changed
inline constexpr uint32_t kDamageWord = 8;       // up to kMaxDamage × (x, y, w, h)
inline constexpr uint32_t kMaxDamage = 16;
}  // namespace pvg::surface
