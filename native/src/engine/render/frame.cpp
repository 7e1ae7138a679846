#include "engine/render/frame.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "engine/render/pixel_fill.h"

namespace pvg::engine {

Rect unite(Rect a, Rect b) {
  if (rectEmpty(a)) return rectEmpty(b) ? Rect{} : b;
  if (rectEmpty(b)) return a;
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  uint64_t x0 = std::min(a.x, b.x);
  uint64_t y0 = std::min(a.y, b.y);
  uint64_t x1 = std::max(uint64_t{a.x} + a.w, uint64_t{b.x} + b.w);
  uint64_t y1 = std::max(uint64_t{a.y} + a.h, uint64_t{b.y} + b.h);
  return Rect{static_cast<uint32_t>(x0), static_cast<uint32_t>(y0), static_cast<uint32_t>(std::min(x1 - x0, kMax)),
              static_cast<uint32_t>(std::min(y1 - y0, kMax))};
}

void Frame::Free::operator()(uint32_t* p) const noexcept { std::free(p); }

bool Frame::resize(uint32_t width, uint32_t height) {
  if (width == 0 || height == 0 || width > kMaxDimension || height > kMaxDimension) return false;
  const size_t count = size_t{width} * height;
  if (count > capacity_) {
    // Zeroed, so a fresh frame's pixels are defined (0) before the caller clears it.
    auto* fresh = static_cast<uint32_t*>(std::calloc(count, sizeof(uint32_t)));
    if (fresh == nullptr) return false;  // the frame keeps its old size and storage
    storage_.reset(fresh);
    capacity_ = count;
  }
  width_ = width;
  height_ = height;
  return true;
}

void Frame::clear(uint32_t argb) {
  if (empty()) return;
  fillPixels(storage_.get(), size_t{width_} * height_, argb);
}

bool Frame::copyRegionTo(uint8_t* dst, size_t dstBytes, uint32_t dstStrideBytes, Rect region) const {
  if (empty() || !rectInside(region, width_, height_)) return false;
  if (rectEmpty(region)) return true;
  const uint64_t rowBytes = uint64_t{region.w} * 4;
  if (dst == nullptr || dstStrideBytes < rowBytes) return false;
  // (h - 1) * stride < 2^13 * 2^32 and rowBytes < 2^15: no 64-bit overflow.
  const uint64_t need = uint64_t{region.h - 1} * dstStrideBytes + rowBytes;
  if (need > dstBytes) return false;
  const uint32_t* src = storage_.get() + size_t{region.y} * width_ + region.x;
  for (uint32_t y = 0; y < region.h; ++y) {
    std::memcpy(dst + size_t{y} * dstStrideBytes, src + size_t{y} * width_, static_cast<size_t>(rowBytes));
  }
  return true;
}

}  // namespace pvg::engine
