#include "core/pixel_rect.h"

#include <cstring>

#include "core/tsan_edges.h"

namespace pvg {
bool copyPixelRect(const uint32_t* src, size_t srcLength, uint32_t* dst, size_t dstLength, uint32_t stride, const PixelRect& rect) {
  // 64-bit arithmetic: x + width and the last pixel's index cannot wrap for 32-bit inputs.
  const uint64_t right = uint64_t{rect.x} + rect.width;
  if (right > stride) return false;
  if (rect.width == 0 || rect.height == 0) return true;
  const uint64_t end = (uint64_t{rect.y} + rect.height - 1) * stride + right;  // one past the last pixel
  if (end > srcLength || end > dstLength) return false;
  const size_t first = size_t{rect.y} * stride + rect.x;
  // src is an encode surface's pixels: the engine wrote them before it answered the encode, and
  // writes them again only after the next request; both hand-overs run through JavaScript
  // Atomics, which TSan cannot see (core/tsan_edges.h; soft_engine_encode.cpp names the same address).
  tsan::acquire(src);
  if (rect.width == stride) {
    std::memcpy(dst + first, src + first, size_t{rect.height} * stride * sizeof(uint32_t));
  } else {
    for (size_t row = 0, at = first; row < rect.height; ++row, at += stride) std::memcpy(dst + at, src + at, size_t{rect.width} * sizeof(uint32_t));
  }
  tsan::release(src);
  return true;
}
}  // namespace pvg
