// Copies a rectangle of 32-bit pixels between two frames of the same row stride: the compositor's
// damage copy from an encode surface into the kept frame (actors/compositor/display-frames.ts).
// JavaScript's TypedArray.set over a SharedArrayBuffer copies word by word (V8's relaxed
// memmove), two to four times slower than memcpy; this is memcpy, a row at a time, or once for
// whole rows. Both frames are shared memory the caller owns for the copy (the compositor holds
// the display's frame lock; the engine answered the encode before it).
#pragma once
#include <cstddef>
#include <cstdint>

namespace pvg {
struct PixelRect {
  uint32_t x = 0, y = 0, width = 0, height = 0;
};

// Copies `rect` of a frame `stride` pixels wide from src to dst (each `srcLength` / `dstLength`
// pixels from pixel (0, 0)). False, copying nothing, when the rectangle runs past its row or
// past either frame; a zero-sized rectangle copies nothing and is true.
bool copyPixelRect(const uint32_t* src, size_t srcLength, uint32_t* dst, size_t dstLength, uint32_t stride, const PixelRect& rect);
}  // namespace pvg
