// Cursor glyphs (engine/render/cursor_glyph.h): conversion of each bpp against hand-computed
// pixels, every refused argument, and compositing with clipping at every edge.
#include <cstring>
#include <limits>
#include <vector>

#include "engine/render/blend.h"
#include "engine/render/cursor_glyph.h"
#include "engine/render/golden_scene.h"
#include "harness.h"

namespace {
using namespace pvg::engine;
constexpr int32_t I32MIN = std::numeric_limits<int32_t>::min();
constexpr int32_t I32MAX = std::numeric_limits<int32_t>::max();

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

CursorError convertError(const std::vector<uint8_t>& b, uint32_t w, uint32_t h, uint32_t bpp, uint32_t stride, uint32_t hx = 0, uint32_t hy = 0) {
  return convertCursorGlyph(b.data(), b.size(), w, h, bpp, stride, hx, hy).error;
}

// A glyph of w x h with varied alpha (0, 255 and in between), built directly.
CursorGlyph testGlyph(uint32_t w, uint32_t h, uint32_t hx, uint32_t hy) {
  CursorGlyph g{w, h, hx, hy, {}};
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      const uint32_t a = ((x + y) % 3 == 0) ? 0xFF : ((x + y) % 3 == 1) ? 0x00 : 0x80 + x * 8;
      g.argb.push_back((a << 24) | (x * 40) << 16 | (y * 50) << 8 | 0x33);
    }
  }
  return g;
}

Frame patterned(uint32_t w, uint32_t h) {
  Frame f;
  PVG_REQUIRE(f.resize(w, h));
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) f.row(y)[x] = 0xFF000000u | (x * 0x0A0000u) | (y * 0x000C00u) | ((x ^ y) & 0xFF);
  return f;
}

// Naive reference: every glyph pixel with its own bounds check, positions in 64-bit.
// Returns the bounding box of the touched pixels.
Rect referenceComposite(std::vector<uint32_t>& px, uint32_t fw, uint32_t fh, const CursorGlyph& g, int32_t x, int32_t y) {
  int64_t minX = INT64_MAX, minY = INT64_MAX, maxX = -1, maxY = -1;
  for (uint32_t gy = 0; gy < g.h; ++gy) {
    for (uint32_t gx = 0; gx < g.w; ++gx) {
      const int64_t fx = int64_t{x} - g.hotX + gx, fy = int64_t{y} - g.hotY + gy;
      if (fx < 0 || fy < 0 || fx >= fw || fy >= fh) continue;
      uint32_t& p = px[static_cast<size_t>(fy) * fw + static_cast<size_t>(fx)];
      p = blendOver(g.argb[size_t{gy} * g.w + gx], p);
      minX = std::min(minX, fx), minY = std::min(minY, fy), maxX = std::max(maxX, fx), maxY = std::max(maxY, fy);
    }
  }
  if (maxX < 0) return Rect{};
  return Rect{static_cast<uint32_t>(minX), static_cast<uint32_t>(minY), static_cast<uint32_t>(maxX - minX + 1), static_cast<uint32_t>(maxY - minY + 1)};
}

std::vector<uint32_t> snapshot(const Frame& f) { return {f.pixels().begin(), f.pixels().end()}; }
}  // namespace

// ---------------------------------------------------------------------------------------------
// Conversion

PVG_TEST("cursor convert: 32 bpp is ARGB8888 taken as is, padded rows skipped") {
  std::vector<uint8_t> b(2 * 12, 0xEE);  // stride 12 = 8 + 4 bytes of padding
  put32(b, 0, 0x80112233);
  put32(b, 4, 0x00FFFFFF);
  put32(b, 12, 0xFF000000);
  put32(b, 16, 0x01020304);
  auto r = convertCursorGlyph(b.data(), b.size(), 2, 2, 32, 12, 1, 1);
  PVG_REQUIRE(r.ok());
  PVG_CHECK(r.glyph.w == 2 && r.glyph.h == 2 && r.glyph.hotX == 1 && r.glyph.hotY == 1 && r.glyph.valid());
  PVG_CHECK(r.glyph.argb == (std::vector<uint32_t>{0x80112233, 0x00FFFFFF, 0xFF000000, 0x01020304}));
}

PVG_TEST("cursor convert: 24 bpp is B, G, R bytes, opaque") {
  std::vector<uint8_t> b(2 * 12, 0xEE);  // w = 3: 9 bytes, stride 12
  const uint8_t row0[9] = {0x11, 0x22, 0x33, 0x00, 0x00, 0x00, 0xFF, 0x80, 0x01};
  const uint8_t row1[9] = {0x01, 0x02, 0x03, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF};
  std::memcpy(&b[0], row0, 9);
  std::memcpy(&b[12], row1, 9);
  auto r = convertCursorGlyph(b.data(), b.size(), 3, 2, 24, 12, 2, 0);
  PVG_REQUIRE(r.ok());
  PVG_CHECK(r.glyph.argb == (std::vector<uint32_t>{0xFF332211, 0xFF000000, 0xFF0180FF, 0xFF030201, 0xFFFFFFFF, 0xFFFF0000}));
}

PVG_TEST("cursor convert: 16 bpp is ARGB1555 with (v << 3) | (v >> 2) expansion") {
  std::vector<uint8_t> b(6 * 2, 0);
  put16(b, 0, 0xFC00);                                                       // opaque, R = 31          -> FF FF 00 00
  put16(b, 2, 0x7FFF);                                                       // bit 15 clear: transparent, colour kept -> 00 FF FF FF
  put16(b, 4, 0x8421);                                                       // opaque, 1, 1, 1: (1 << 3) | 0 = 8 -> FF 08 08 08
  put16(b, 6, 0xC210);                                                       // opaque, 16, 16, 16: 128 | 4 = 0x84 -> FF 84 84 84
  put16(b, 8, 0x03E0);                                                       // transparent, G = 31     -> 00 00 FF 00
  put16(b, 10, static_cast<uint16_t>(0x8000 | (5 << 10) | (10 << 5) | 20));  // 41, 82, 165
  auto r = convertCursorGlyph(b.data(), b.size(), 3, 2, 16, 6, 0, 1);
  PVG_REQUIRE(r.ok());
  PVG_CHECK(r.glyph.argb == (std::vector<uint32_t>{0xFFFF0000, 0x00FFFFFF, 0xFF080808, 0xFF848484, 0x0000FF00, 0xFF2952A5}));
}

PVG_TEST("cursor convert: 8 bpp is A4L4, both nibbles times 17") {
  std::vector<uint8_t> b(2 * 5, 0xEE);  // w = 3, stride 5
  const uint8_t row0[3] = {0xF0, 0x0F, 0x85};
  const uint8_t row1[3] = {0x3C, 0x00, 0xFF};
  std::memcpy(&b[0], row0, 3);
  std::memcpy(&b[5], row1, 3);
  auto r = convertCursorGlyph(b.data(), b.size(), 3, 2, 8, 5, 0, 0);
  PVG_REQUIRE(r.ok());
  PVG_CHECK(r.glyph.argb == (std::vector<uint32_t>{0xFF000000, 0x00FFFFFF, 0x88555555, 0x33CCCCCC, 0x00000000, 0xFFFFFFFF}));
}

PVG_TEST("cursor convert: the largest glyph, minimal stride and exact buffer size") {
  for (uint32_t bpp : {8u, 16u, 24u, 32u}) {
    const uint32_t stride = 256 * bpp / 8;
    std::vector<uint8_t> b(size_t{stride} * 256, 0x5A);  // exactly stride * h: ASan checks no read past it
    auto r = convertCursorGlyph(b.data(), b.size(), 256, 256, bpp, stride, 255, 255);
    PVG_CHECK(r.ok() && r.glyph.argb.size() == 256u * 256u && r.glyph.valid());
  }
}

PVG_TEST("cursor convert: refused sizes, bpp, strides and hotspots") {
  std::vector<uint8_t> b(4096, 0);
  PVG_CHECK(convertError(b, 0, 4, 32, 16) == CursorError::BadSize);
  PVG_CHECK(convertError(b, 4, 0, 32, 16) == CursorError::BadSize);
  PVG_CHECK(convertError(b, 257, 1, 8, 257) == CursorError::BadSize);
  PVG_CHECK(convertError(b, 1, 257, 8, 1) == CursorError::BadSize);
  PVG_CHECK(convertError(b, 0xFFFFFFFFu, 1, 8, 1) == CursorError::BadSize);
  PVG_CHECK(convertError(b, 0, 0, 12, 0, 5, 5) == CursorError::BadSize);  // the first failure wins
  for (uint32_t bpp : {0u, 1u, 2u, 4u, 7u, 12u, 15u, 31u, 33u, 48u, 64u, 0xFFFFFFFFu}) {
    PVG_CHECK(convertError(b, 4, 4, bpp, 64) == CursorError::BadBpp);
  }
  PVG_CHECK(convertError(b, 4, 4, 12, 0, 9, 9) == CursorError::BadBpp);
  PVG_CHECK(convertError(b, 3, 2, 24, 8) == CursorError::BadStride);  // < 9
  PVG_CHECK(convertError(b, 3, 2, 24, 9) == CursorError::None);
  PVG_CHECK(convertError(b, 4, 1, 32, 15) == CursorError::BadStride);
  PVG_CHECK(convertError(b, 5, 1, 16, 9) == CursorError::BadStride);
  PVG_CHECK(convertError(b, 5, 1, 8, 4) == CursorError::BadStride);
  PVG_CHECK(convertError(b, 4, 4, 32, 0) == CursorError::BadStride);
  std::vector<uint8_t> exact(64);
  PVG_CHECK(convertError(exact, 4, 4, 32, 16) == CursorError::None);       // stride * h == bytes
  PVG_CHECK(convertError(exact, 4, 4, 32, 17) == CursorError::BadStride);  // 68 > 64
  std::vector<uint8_t> short1(63);
  PVG_CHECK(convertError(short1, 4, 4, 32, 16) == CursorError::BadStride);
  PVG_CHECK(convertError(b, 256, 256, 32, 0xFFFFFFFFu) == CursorError::BadStride);  // stride * h ~ 2^40
  PVG_CHECK(convertCursorGlyph(nullptr, 64, 4, 4, 32, 16, 0, 0).error == CursorError::BadStride);
  PVG_CHECK(convertCursorGlyph(b.data(), 0, 1, 1, 8, 1, 0, 0).error == CursorError::BadStride);
  PVG_CHECK(convertError(b, 4, 4, 32, 0xFFFFFFFFu, 4, 0) == CursorError::BadStride);  // stride checked before hotspot
  PVG_CHECK(convertError(b, 4, 3, 32, 16, 4, 0) == CursorError::BadHotspot);
  PVG_CHECK(convertError(b, 4, 3, 32, 16, 0, 3) == CursorError::BadHotspot);
  PVG_CHECK(convertError(b, 4, 3, 32, 16, 0xFFFFFFFFu, 0xFFFFFFFFu) == CursorError::BadHotspot);
  PVG_CHECK(convertError(b, 4, 3, 32, 16, 3, 2) == CursorError::None);
  auto r = convertCursorGlyph(b.data(), b.size(), 4, 3, 32, 16, 4, 0);
  PVG_CHECK(!r.ok() && r.glyph.argb.empty() && !r.glyph.valid());
  PVG_CHECK(cursorErrorName(CursorError::BadStride) == "bad-stride");
  PVG_CHECK(cursorErrorName(CursorError::BadHotspot) == "bad-hotspot");
  PVG_CHECK(cursorErrorName(static_cast<CursorError>(77)) == "unknown");
}

// ---------------------------------------------------------------------------------------------
// Compositing

PVG_TEST("cursor composite: the hotspot lands on the position, source-over") {
  Frame f = patterned(10, 8);
  std::vector<uint32_t> ref = snapshot(f);
  CursorGlyph g{3, 2, 1, 1, {0xFF0000FF, 0x00FFFFFF, 0x80FF0000, 0xFF00FF00, 0xFFFFFFFF, 0x01000000}};
  compositeCursor(f, g, 5, 4);  // top-left at (4, 3)
  ref[3 * 10 + 4] = 0xFF0000FF;
  ref[3 * 10 + 6] = blendOver(0x80FF0000, ref[3 * 10 + 6]);
  ref[4 * 10 + 4] = 0xFF00FF00;
  ref[4 * 10 + 5] = 0xFFFFFFFF;
  ref[4 * 10 + 6] = blendOver(0x01000000, ref[4 * 10 + 6]);
  PVG_CHECK(snapshot(f) == ref);
  PVG_CHECK(cursorBounds(g, 5, 4, 10, 8) == (Rect{4, 3, 3, 2}));
}

PVG_TEST("cursor composite: clipping at all four edges and at negative positions matches a naive reference") {
  constexpr uint32_t W = 9, H = 7;
  const CursorGlyph g = testGlyph(4, 3, 2, 1);
  int partial = 0, hidden = 0;
  for (int32_t y = -6; y <= static_cast<int32_t>(H) + 6; ++y) {
    for (int32_t x = -6; x <= static_cast<int32_t>(W) + 6; ++x) {
      Frame f = patterned(W, H);
      std::vector<uint32_t> ref = snapshot(f);
      const Rect touched = referenceComposite(ref, W, H, g, x, y);
      compositeCursor(f, g, x, y);
      PVG_CHECK(snapshot(f) == ref);
      PVG_CHECK(cursorBounds(g, x, y, W, H) == touched);
      if (rectEmpty(touched))
        ++hidden;
      else if (touched.w < 4 || touched.h < 3)
        ++partial;
    }
  }
  PVG_CHECK(partial > 50 && hidden > 50);
}

PVG_TEST("cursor composite: specific clipped positions") {
  const CursorGlyph g = testGlyph(4, 3, 2, 1);
  PVG_CHECK(cursorBounds(g, 0, 0, 9, 7) == (Rect{0, 0, 2, 2}));    // top-left: 2 columns, 1 row cut
  PVG_CHECK(cursorBounds(g, -1, -1, 9, 7) == (Rect{0, 0, 1, 1}));  // only the bottom-right pixel
  PVG_CHECK(cursorBounds(g, -2, 0, 9, 7) == (Rect{}));             // wholly left
  PVG_CHECK(cursorBounds(g, 8, 6, 9, 7) == (Rect{6, 5, 3, 2}));    // bottom-right corner
  PVG_CHECK(cursorBounds(g, 10, 7, 9, 7) == (Rect{8, 6, 1, 1}));   // hotspot outside, a pixel visible
  PVG_CHECK(cursorBounds(g, 11, 3, 9, 7) == (Rect{}));             // wholly right
  PVG_CHECK(cursorBounds(g, 4, 8, 9, 7) == (Rect{}));              // wholly below
  PVG_CHECK(cursorBounds(g, 4, -2, 9, 7) == (Rect{}));             // wholly above
  PVG_CHECK(cursorBounds(g, 4, -1, 9, 7) == (Rect{2, 0, 4, 1}));   // one row visible at the top
  Frame f = patterned(9, 7);
  const uint64_t sum = frameChecksum(f);
  for (int32_t v : {I32MIN, I32MIN + 1, -100000, 100000, I32MAX - 1, I32MAX}) {
    compositeCursor(f, g, v, 3);
    compositeCursor(f, g, 3, v);
    compositeCursor(f, g, v, v);
    PVG_CHECK(cursorBounds(g, v, 3, 9, 7) == (Rect{}) && cursorBounds(g, 3, v, 9, 7) == (Rect{}));
  }
  PVG_CHECK(frameChecksum(f) == sum);
}

PVG_TEST("cursor composite: invalid glyphs and empty frames draw nothing") {
  Frame f = patterned(9, 7);
  const uint64_t sum = frameChecksum(f);
  CursorGlyph shortPixels = testGlyph(4, 3, 2, 1);
  shortPixels.argb.pop_back();
  CursorGlyph hotOutside = testGlyph(4, 3, 2, 1);
  hotOutside.hotX = 4;
  CursorGlyph tooBig = testGlyph(4, 3, 0, 0);
  tooBig.w = 300;
  CursorGlyph empty;
  for (const CursorGlyph* g : {&shortPixels, &hotOutside, &tooBig, &empty}) {
    PVG_CHECK(!g->valid());
    compositeCursor(f, *g, 3, 3);
    PVG_CHECK(cursorBounds(*g, 3, 3, 9, 7) == (Rect{}));
  }
  PVG_CHECK(frameChecksum(f) == sum);
  Frame none;
  compositeCursor(none, testGlyph(4, 3, 2, 1), 0, 0);  // no frame: nothing, no crash
  PVG_CHECK(cursorBounds(testGlyph(4, 3, 2, 1), 0, 0, 0, 0) == (Rect{}));
}

PVG_TEST("cursor composite: converted glyphs of each bpp over a translucent frame") {
  // A4L4 0x8F: A = 136, L = 255 over 0x40000000: ws = 136*255, wd = 64*119, den = 42296;
  // C = round(255*34680/42296 = 209.08) = 209, A = 136 + round(7616/255 = 29.87) = 166.
  std::vector<uint8_t> b8 = {0x8F};
  auto r8 = convertCursorGlyph(b8.data(), b8.size(), 1, 1, 8, 1, 0, 0);
  PVG_REQUIRE(r8.ok());
  Frame f;
  PVG_REQUIRE(f.resize(2, 2));
  f.clear(0x40000000);
  compositeCursor(f, r8.glyph, 1, 1);
  PVG_CHECK(f.row(1)[1] == 0xA6D1D1D1);
  PVG_CHECK(f.row(0)[0] == 0x40000000 && f.row(0)[1] == 0x40000000 && f.row(1)[0] == 0x40000000);
  // A transparent 1555 pixel leaves the frame alone; an opaque one replaces it.
  std::vector<uint8_t> b16(4);
  put16(b16, 0, 0x7C00);
  put16(b16, 2, 0x801F);
  auto r16 = convertCursorGlyph(b16.data(), b16.size(), 2, 1, 16, 4, 0, 0);
  PVG_REQUIRE(r16.ok());
  compositeCursor(f, r16.glyph, 0, 0);
  PVG_CHECK(f.row(0)[0] == 0x40000000 && f.row(0)[1] == 0xFF0000FF);
}
