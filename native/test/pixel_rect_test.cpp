// The compositor's damage copy (core/pixel_rect.h): exactly the rectangle's pixels move, and a
// rectangle outside either frame or its row copies nothing.
#include <random>
#include <vector>

#include "core/pixel_rect.h"
#include "harness.h"

namespace {
std::vector<uint32_t> numbered(size_t n, uint32_t base) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = base + static_cast<uint32_t>(i);
  return v;
}
}  // namespace

PVG_TEST("pixel rect: random rectangles copy exactly their pixels, in whole rows or part rows") {
  std::mt19937 rng(7);
  for (int round = 0; round < 2'000; ++round) {
    const uint32_t stride = 1 + rng() % 64, rows = 1 + rng() % 48;
    const auto src = numbered(size_t{stride} * rows, 1'000'000);
    auto dst = numbered(size_t{stride} * rows, 0);
    const auto before = dst;
    pvg::PixelRect r;
    r.x = rng() % stride;
    r.width = rng() % 4 == 0 ? stride - r.x : rng() % (stride - r.x + 1);
    if (rng() % 4 == 0) r.x = 0, r.width = stride;
    r.y = rng() % rows;
    r.height = rng() % (rows - r.y + 1);
    PVG_CHECK(pvg::copyPixelRect(src.data(), src.size(), dst.data(), dst.size(), stride, r));
    for (uint32_t y = 0; y < rows; ++y) {
      for (uint32_t x = 0; x < stride; ++x) {
        const size_t i = size_t{y} * stride + x;
        const bool inside = x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
        PVG_CHECK(dst[i] == (inside ? src[i] : before[i]));
      }
    }
  }
}

PVG_TEST("pixel rect: a rectangle past its row, past either frame, or wrapping 32 bits copies nothing") {
  const uint32_t stride = 16, rows = 8;
  const auto src = numbered(size_t{stride} * rows, 100);
  auto dst = numbered(size_t{stride} * rows, 0);
  const auto before = dst;
  const pvg::PixelRect bad[] = {
      {.x = 10, .y = 0, .width = 7, .height = 1},           // past the row
      {.x = 0, .y = 7, .width = 16, .height = 2},           // past the last row
      {.x = 0xFFFFFFFF, .y = 0, .width = 2, .height = 1},   // x + width wraps
      {.x = 0, .y = 0xFFFFFFFF, .width = 1, .height = 2},   // y + height wraps
      {.x = 0, .y = 1, .width = 16, .height = 0xFFFFFFFF},  // far too many rows
  };
  for (const auto& r : bad) PVG_CHECK(!pvg::copyPixelRect(src.data(), src.size(), dst.data(), dst.size(), stride, r));
  // A frame shorter than the rectangle (either side) refuses it too.
  PVG_CHECK(!pvg::copyPixelRect(src.data(), 16 * 4, dst.data(), dst.size(), stride, {.x = 0, .y = 3, .width = 16, .height = 2}));
  PVG_CHECK(!pvg::copyPixelRect(src.data(), src.size(), dst.data(), 16 * 4 + 3, stride, {.x = 0, .y = 4, .width = 4, .height = 1}));
  PVG_CHECK(dst == before);
  // Zero-sized rectangles are fine anywhere on the row, and copy nothing.
  PVG_CHECK(pvg::copyPixelRect(src.data(), src.size(), dst.data(), dst.size(), stride, {.x = 16, .y = 100, .width = 0, .height = 5}));
  PVG_CHECK(pvg::copyPixelRect(src.data(), src.size(), dst.data(), dst.size(), stride, {.x = 3, .y = 100, .width = 2, .height = 0}));
  PVG_CHECK(dst == before);
}
