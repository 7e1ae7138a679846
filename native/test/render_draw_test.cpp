// The soft engine's CPU renderer: Frame, rectangles, fillRect, copyRect, blit, ContiguousRows
// and the source-over blend (engine/render/). Exact pixel results, every refused argument, and
// "refused means untouched" (checksums before and after).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/render/blend.h"
#include "engine/render/draw.h"
#include "engine/render/frame.h"
#include "engine/render/golden_scene.h"
#include "harness.h"

namespace {
using namespace pvg::engine;
constexpr uint32_t U32 = std::numeric_limits<uint32_t>::max();

// Every pixel different, all four bytes varying.
uint32_t patternPixel(uint32_t x, uint32_t y) { return (x * 0x01030507u) ^ (y * 0x0B0D1113u) ^ 0x5A000000u; }

Frame patterned(uint32_t w, uint32_t h) {
  Frame f;
  PVG_REQUIRE(f.resize(w, h));
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) f.row(y)[x] = patternPixel(x, y);
  }
  return f;
}

std::vector<uint32_t> snapshot(const Frame& f) { return {f.pixels().begin(), f.pixels().end()}; }

// A source image in a byte buffer, `lead` bytes in (for unaligned rows), rows `stride` apart.
struct SourceImage {
  std::vector<uint8_t> bytes;
  uint32_t lead, stride, w, h;
  SourceImage(uint32_t w_, uint32_t h_, uint32_t lead_, uint32_t pad) : lead(lead_), stride(w_ * 4 + pad), w(w_), h(h_) {
    bytes.assign(lead + size_t{stride} * h - pad, 0xEE);  // the last row has no padding
    for (uint32_t y = 0; y < h; ++y) {
      for (uint32_t x = 0; x < w; ++x) set(x, y, (x * 0x11u + y * 0x1001u) | (((x + 3 * y) * 37u & 0xFF) << 24));
    }
  }
  void set(uint32_t x, uint32_t y, uint32_t v) { std::memcpy(&bytes[lead + size_t{y} * stride + size_t{x} * 4], &v, 4); }
  uint32_t at(uint32_t x, uint32_t y) const {
    uint32_t v;
    std::memcpy(&v, &bytes[lead + size_t{y} * stride + size_t{x} * 4], 4);
    return v;
  }
  ContiguousRows rows() const { return ContiguousRows(bytes.data() + lead, bytes.size() - lead, stride, w); }
};

// Counts row() calls; returns nullptr from row `failAt` on.
class CountingSource final : public RowSource {
 public:
  CountingSource(const SourceImage& img, uint32_t failAt) : img_(img), rows_(img.rows()), failAt_(failAt) {}
  const uint8_t* row(uint32_t y) override {
    ++calls;
    lastY = y;
    return y >= failAt_ ? nullptr : rows_.row(y);
  }
  uint32_t calls = 0;
  uint32_t lastY = U32;

 private:
  const SourceImage& img_;
  ContiguousRows rows_;
  uint32_t failAt_;
};

// Reference copyRect: through a temporary buffer.
void referenceCopy(std::vector<uint32_t>& px, uint32_t fw, uint32_t sx, uint32_t sy, Rect d) {
  std::vector<uint32_t> tmp(size_t{d.w} * d.h);
  for (uint32_t y = 0; y < d.h; ++y)
    for (uint32_t x = 0; x < d.w; ++x) tmp[size_t{y} * d.w + x] = px[size_t{sy + y} * fw + sx + x];
  for (uint32_t y = 0; y < d.h; ++y)
    for (uint32_t x = 0; x < d.w; ++x) px[size_t{d.y + y} * fw + d.x + x] = tmp[size_t{y} * d.w + x];
}

// Round-half-up of num / den (den > 0) found by search, independently of blend.h's arithmetic:
// the k with |num/den - k| smallest, the larger on a tie.
uint32_t roundBySearch(uint64_t num, uint64_t den, uint32_t maxK) {
  uint32_t best = 0;
  for (uint32_t k = 1; k <= maxK; ++k) {
    // |2num - 2k den| <= |2num - 2best den|  (<= picks the larger on a tie)
    int64_t dk = static_cast<int64_t>(2 * num) - static_cast<int64_t>(2 * k * den);
    int64_t db = static_cast<int64_t>(2 * num) - static_cast<int64_t>(2 * best * den);
    if (std::llabs(dk) <= std::llabs(db)) best = k;
  }
  return best;
}

// The reference source-over for one pixel, channel by channel, from the real-valued formula
// a_o = a_s + a_d (1 - a_s), c_o = (c_s a_s + c_d a_d (1 - a_s)) / a_o, scaled by 255^3.
uint32_t referenceOver(uint32_t src, uint32_t dst) {
  const uint64_t as = src >> 24, ad = dst >> 24;
  if (as == 0) return dst;
  // a_o * 255^2 and c_o * a_o * 255^3, exact integers.
  const uint64_t ao2 = as * 255 + ad * (255 - as);
  uint32_t out = roundBySearch(ao2, 255, 255) << 24;
  for (int shift = 0; shift < 24; shift += 8) {
    const uint64_t cs = (src >> shift) & 0xFF, cd = (dst >> shift) & 0xFF;
    const uint64_t coao3 = cs * as * 255 + cd * ad * (255 - as);
    // c_o * 255 = (c_o a_o 255^3) / (a_o 255^2)
    out |= roundBySearch(coao3, ao2, 255) << shift;
  }
  return out;
}

// The same in double precision, for a sanity bound (|exact - real| <= 1/2 per channel).
double realChannel(uint32_t src, uint32_t dst, int shift) {
  const double as = (src >> 24) / 255.0, ad = (dst >> 24) / 255.0;
  const double cs = ((src >> shift) & 0xFF) / 255.0, cd = ((dst >> shift) & 0xFF) / 255.0;
  const double ao = as + ad * (1 - as);
  return shift == 24 ? ao * 255 : (cs * as + cd * ad * (1 - as)) / ao * 255;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// Rectangles and the frame

PVG_TEST("render rect: inside is computed in 64-bit") {
  PVG_CHECK(rectInside(Rect{0, 0, 320, 200}, 320, 200));
  PVG_CHECK(rectInside(Rect{319, 199, 1, 1}, 320, 200));
  PVG_CHECK(!rectInside(Rect{319, 199, 2, 1}, 320, 200));
  PVG_CHECK(!rectInside(Rect{319, 199, 1, 2}, 320, 200));
  PVG_CHECK(!rectInside(Rect{0xFFFFFFF0u, 0, 0x20, 1}, 320, 200));  // wraps to 0x10 in 32-bit
  PVG_CHECK(!rectInside(Rect{0, 0xFFFFFFF0u, 1, 0x20}, 320, 200));
  PVG_CHECK(!rectInside(Rect{1, 0, U32, 1}, 320, 200));
  PVG_CHECK(!rectInside(Rect{U32, U32, U32, U32}, U32, U32));
  PVG_CHECK(rectInside(Rect{0, 0, U32, U32}, U32, U32));
  PVG_CHECK(rectInside(Rect{320, 200, 0, 0}, 320, 200));  // empty, corner on the edge
  PVG_CHECK(!rectInside(Rect{321, 0, 0, 5}, 320, 200));   // empty but beyond the edge
  PVG_CHECK(rectEmpty(Rect{5, 5, 0, 3}) && rectEmpty(Rect{5, 5, 3, 0}) && !rectEmpty(Rect{0, 0, 1, 1}));
}

PVG_TEST("render rect: unite is the bounding box, ignores empty rectangles, clamps") {
  PVG_CHECK(unite(Rect{10, 20, 5, 5}, Rect{2, 30, 4, 10}) == (Rect{2, 20, 13, 20}));
  PVG_CHECK(unite(Rect{10, 20, 5, 5}, Rect{11, 21, 1, 1}) == (Rect{10, 20, 5, 5}));
  PVG_CHECK(unite(Rect{}, Rect{3, 4, 5, 6}) == (Rect{3, 4, 5, 6}));
  PVG_CHECK(unite(Rect{3, 4, 5, 6}, Rect{100, 100, 0, 9}) == (Rect{3, 4, 5, 6}));
  PVG_CHECK(unite(Rect{7, 7, 0, 0}, Rect{9, 9, 3, 0}) == (Rect{}));
  PVG_CHECK(unite(Rect{0, 0, 1, 1}, Rect{U32, U32, U32, U32}) == (Rect{0, 0, U32, U32}));
}

PVG_TEST("render frame: resize refuses 0 and > 8192 and leaves the frame as it was") {
  Frame f;
  PVG_CHECK(f.empty() && f.width() == 0 && f.height() == 0 && f.pixels().empty() && f.row(0) == nullptr);
  PVG_CHECK(!f.resize(0, 10));
  PVG_CHECK(!f.resize(10, 0));
  PVG_CHECK(!f.resize(8193, 1));
  PVG_CHECK(!f.resize(1, 8193));
  PVG_CHECK(!f.resize(U32, U32));
  PVG_CHECK(f.empty() && f.data() == nullptr);
  PVG_REQUIRE(f.resize(8192, 1));
  PVG_REQUIRE(f.resize(1, 8192));
  PVG_REQUIRE(f.resize(64, 32));
  const uint32_t* before = f.data();
  PVG_CHECK(!f.resize(0, 0));
  PVG_CHECK(f.width() == 64 && f.height() == 32 && f.data() == before);
}

PVG_TEST("render frame: resizing to a smaller size and back does not reallocate") {
  Frame f;
  PVG_REQUIRE(f.resize(640, 480));
  const uint32_t* p = f.data();
  PVG_CHECK(f.capacity() == 640u * 480u);
  PVG_REQUIRE(f.resize(320, 200));
  PVG_CHECK(f.data() == p && f.width() == 320 && f.height() == 200 && f.pixels().size() == 320u * 200u);
  PVG_REQUIRE(f.resize(480, 640));  // same pixel count, other shape
  PVG_CHECK(f.data() == p);
  PVG_REQUIRE(f.resize(640, 480));
  PVG_CHECK(f.data() == p && f.capacity() == 640u * 480u);
  PVG_REQUIRE(f.resize(641, 480));  // grows: new storage of exactly the new size
  PVG_CHECK(f.capacity() == 641u * 480u);
  const uint32_t* q = f.data();
  PVG_REQUIRE(f.resize(1, 1));
  PVG_REQUIRE(f.resize(641, 480));
  PVG_CHECK(f.data() == q);
}

PVG_TEST("render frame: clear, row and pixels") {
  Frame f;
  f.clear(0x12345678);  // empty: nothing to do, no crash
  PVG_REQUIRE(f.resize(7, 3));
  f.clear(0xFF102030);
  for (uint32_t v : f.pixels()) PVG_CHECK(v == 0xFF102030);
  PVG_CHECK(f.row(0) == f.data() && f.row(2) == f.data() + 14 && f.row(3) == nullptr && f.row(U32) == nullptr);
  const Frame& cf = f;
  PVG_CHECK(cf.row(1) == cf.data() + 7 && cf.row(3) == nullptr);
  // BGRA in memory
  const auto* bytes = reinterpret_cast<const uint8_t*>(f.data());
  PVG_CHECK(bytes[0] == 0x30 && bytes[1] == 0x20 && bytes[2] == 0x10 && bytes[3] == 0xFF);
}

PVG_TEST("render frame: copyRegionTo copies BGRA rows at the given stride") {
  Frame f = patterned(9, 6);
  const Rect r{2, 1, 4, 3};
  const uint32_t stride = 4 * 4 + 5;                        // padded, unaligned rows
  std::vector<uint8_t> dst(size_t{stride} * 2 + 16, 0xAB);  // exactly enough: the last row has no padding
  PVG_REQUIRE(f.copyRegionTo(dst.data(), dst.size(), stride, r));
  for (uint32_t y = 0; y < r.h; ++y) {
    for (uint32_t x = 0; x < r.w; ++x) {
      uint32_t v;
      std::memcpy(&v, &dst[size_t{y} * stride + x * 4], 4);
      PVG_CHECK(v == patternPixel(r.x + x, r.y + y));
    }
    if (y + 1 < r.h) {
      for (uint32_t i = 16; i < stride; ++i) PVG_CHECK(dst[size_t{y} * stride + i] == 0xAB);  // padding untouched
    }
  }
  std::vector<uint8_t> whole(9 * 6 * 4);
  PVG_REQUIRE(f.copyRegionTo(whole.data(), whole.size(), 9 * 4, Rect{0, 0, 9, 6}));
  PVG_CHECK(std::memcmp(whole.data(), f.data(), whole.size()) == 0);
}

PVG_TEST("render frame: copyRegionTo refuses bad arguments and writes nothing") {
  Frame f = patterned(9, 6);
  std::vector<uint8_t> dst(256, 0xAB);
  const std::vector<uint8_t> untouched = dst;
  const Rect r{2, 1, 4, 3};
  PVG_CHECK(!f.copyRegionTo(dst.data(), dst.size(), 16, Rect{6, 0, 4, 1}));               // past the right edge
  PVG_CHECK(!f.copyRegionTo(dst.data(), dst.size(), 16, Rect{0, 4, 1, 3}));               // past the bottom
  PVG_CHECK(!f.copyRegionTo(dst.data(), dst.size(), 16, Rect{0xFFFFFFF0u, 0, 0x20, 1}));  // x + w wraps
  PVG_CHECK(!f.copyRegionTo(dst.data(), dst.size(), 16, Rect{0, 0xFFFFFFF0u, 1, 0x20}));
  PVG_CHECK(!f.copyRegionTo(nullptr, dst.size(), 16, r));
  PVG_CHECK(!f.copyRegionTo(dst.data(), dst.size(), 15, r));       // stride < w * 4
  PVG_CHECK(!f.copyRegionTo(dst.data(), 2 * 16 + 16 - 1, 16, r));  // one byte short
  PVG_CHECK(!f.copyRegionTo(dst.data(), dst.size(), U32, r));      // (h-1) * stride too big
  PVG_CHECK(dst == untouched);
  PVG_CHECK(f.copyRegionTo(dst.data(), 2 * 16 + 16, 16, r));   // exactly enough
  PVG_CHECK(f.copyRegionTo(nullptr, 0, 0, Rect{9, 6, 0, 0}));  // empty region: nothing to copy
  Frame none;
  PVG_CHECK(!none.copyRegionTo(dst.data(), dst.size(), 16, Rect{0, 0, 0, 0}));
}

// ---------------------------------------------------------------------------------------------
// fillRect

PVG_TEST("render fill: exact pixels, partial rows and whole rows") {
  Frame f = patterned(16, 8);
  std::vector<uint32_t> ref = snapshot(f);
  PVG_CHECK(fillRect(f, Rect{3, 2, 5, 4}, 0x80C0FFEE) == DrawStatus::Ok);
  for (uint32_t y = 2; y < 6; ++y)
    for (uint32_t x = 3; x < 8; ++x) ref[y * 16 + x] = 0x80C0FFEE;  // stored as given, no blend
  PVG_CHECK(snapshot(f) == ref);
  PVG_CHECK(fillRect(f, Rect{0, 5, 16, 2}, 0xFF000001) == DrawStatus::Ok);  // whole rows
  for (uint32_t i = 5 * 16; i < 7 * 16; ++i) ref[i] = 0xFF000001;
  PVG_CHECK(snapshot(f) == ref);
  PVG_CHECK(fillRect(f, Rect{15, 7, 1, 1}, 0x00000000) == DrawStatus::Ok);  // last pixel
  ref[127] = 0;
  PVG_CHECK(snapshot(f) == ref);
  PVG_CHECK(fillRect(f, Rect{4, 4, 0, 3}, 0xFFFFFFFF) == DrawStatus::Ok);  // empty: nothing
  PVG_CHECK(fillRect(f, Rect{16, 8, 0, 0}, 0xFFFFFFFF) == DrawStatus::Ok);
  PVG_CHECK(snapshot(f) == ref);
  PVG_CHECK(fillRect(f, Rect{0, 0, 16, 8}, 0xFF00FF00) == DrawStatus::Ok);
  for (uint32_t v : f.pixels()) PVG_CHECK(v == 0xFF00FF00);
}

PVG_TEST("render fill: refused rectangles draw nothing") {
  Frame none;
  PVG_CHECK(fillRect(none, Rect{0, 0, 1, 1}, 1) == DrawStatus::NoFrame);
  PVG_CHECK(fillRect(none, Rect{0, 0, 0, 0}, 1) == DrawStatus::NoFrame);
  Frame f = patterned(16, 8);
  const uint64_t sum = frameChecksum(f);
  PVG_CHECK(fillRect(f, Rect{0xFFFFFFF0u, 0, 0x20, 1}, 1) == DrawStatus::OutsideFrame);
  PVG_CHECK(fillRect(f, Rect{0, 0xFFFFFFF0u, 1, 0x20}, 1) == DrawStatus::OutsideFrame);
  PVG_CHECK(fillRect(f, Rect{1, 0, 16, 1}, 1) == DrawStatus::OutsideFrame);
  PVG_CHECK(fillRect(f, Rect{0, 1, 1, 8}, 1) == DrawStatus::OutsideFrame);
  PVG_CHECK(fillRect(f, Rect{0, 0, U32, U32}, 1) == DrawStatus::OutsideFrame);
  PVG_CHECK(fillRect(f, Rect{17, 0, 0, 1}, 1) == DrawStatus::OutsideFrame);  // empty but outside
  PVG_CHECK(frameChecksum(f) == sum);
}

// ---------------------------------------------------------------------------------------------
// copyRect

PVG_TEST("render copy: overlapping copies in every direction match a temporary-buffer copy") {
  constexpr uint32_t W = 13, H = 11;
  int cases = 0;
  for (uint32_t w : {1u, 4u, 7u}) {
    for (uint32_t h : {1u, 3u, 6u}) {
      const uint32_t sx = 3, sy = 3;
      // every destination offset within +-3 (all four diagonals, straight moves, and none)
      for (int dy = -3; dy <= 3; ++dy) {
        for (int dx = -3; dx <= 3; ++dx) {
          const Rect d{static_cast<uint32_t>(int{sx} + dx), static_cast<uint32_t>(int{sy} + dy), w, h};
          if (!rectInside(d, W, H)) continue;
          Frame f = patterned(W, H);
          std::vector<uint32_t> ref = snapshot(f);
          referenceCopy(ref, W, sx, sy, d);
          PVG_CHECK(copyRect(f, sx, sy, d) == DrawStatus::Ok);
          PVG_CHECK(snapshot(f) == ref);
          ++cases;
        }
      }
    }
  }
  PVG_CHECK(cases > 300);
}

PVG_TEST("render copy: exact pixels of a non-overlapping copy and of whole-row moves") {
  Frame f = patterned(10, 10);
  PVG_CHECK(copyRect(f, 0, 0, Rect{6, 7, 3, 2}) == DrawStatus::Ok);
  for (uint32_t y = 0; y < 2; ++y)
    for (uint32_t x = 0; x < 3; ++x) PVG_CHECK(f.row(7 + y)[6 + x] == patternPixel(x, y));
  Frame g = patterned(10, 10);
  PVG_CHECK(copyRect(g, 0, 0, Rect{0, 1, 10, 9}) == DrawStatus::Ok);  // scroll down by one row
  for (uint32_t y = 1; y < 10; ++y)
    for (uint32_t x = 0; x < 10; ++x) PVG_CHECK(g.row(y)[x] == patternPixel(x, y - 1));
  for (uint32_t x = 0; x < 10; ++x) PVG_CHECK(g.row(0)[x] == patternPixel(x, 0));
  PVG_CHECK(copyRect(g, 0, 1, Rect{0, 0, 10, 9}) == DrawStatus::Ok);  // and back up
  for (uint32_t y = 0; y < 9; ++y)
    for (uint32_t x = 0; x < 10; ++x) PVG_CHECK(g.row(y)[x] == patternPixel(x, y));
}

PVG_TEST("render copy: refused source or destination draws nothing") {
  Frame none;
  PVG_CHECK(copyRect(none, 0, 0, Rect{0, 0, 1, 1}) == DrawStatus::NoFrame);
  Frame f = patterned(16, 8);
  const uint64_t sum = frameChecksum(f);
  PVG_CHECK(copyRect(f, 0, 0, Rect{0xFFFFFFF0u, 0, 0x20, 1}) == DrawStatus::OutsideFrame);
  PVG_CHECK(copyRect(f, 0xFFFFFFF0u, 0, Rect{0, 0, 0x20, 1}) == DrawStatus::OutsideFrame);  // source wraps
  PVG_CHECK(copyRect(f, 0, 0xFFFFFFF0u, Rect{0, 0, 1, 0x20}) == DrawStatus::OutsideFrame);
  PVG_CHECK(copyRect(f, 13, 0, Rect{0, 0, 4, 1}) == DrawStatus::OutsideFrame);  // source past the edge
  PVG_CHECK(copyRect(f, 0, 5, Rect{0, 0, 1, 4}) == DrawStatus::OutsideFrame);
  PVG_CHECK(copyRect(f, 0, 0, Rect{13, 0, 4, 1}) == DrawStatus::OutsideFrame);  // destination past the edge
  PVG_CHECK(copyRect(f, 0, 0, Rect{0, 5, 1, 4}) == DrawStatus::OutsideFrame);
  PVG_CHECK(copyRect(f, 17, 0, Rect{0, 0, 0, 1}) == DrawStatus::OutsideFrame);  // empty, source outside
  PVG_CHECK(copyRect(f, 1, 1, Rect{0, 0, 0, 0}) == DrawStatus::Ok);
  PVG_CHECK(copyRect(f, 2, 2, Rect{2, 2, 5, 5}) == DrawStatus::Ok);  // onto itself
  PVG_CHECK(frameChecksum(f) == sum);
}

// ---------------------------------------------------------------------------------------------
// The blend

PVG_TEST("render blend: div255Round is round(x / 255) on 0 .. 255*255") {
  for (uint32_t x = 0; x <= 255 * 255; ++x) {
    if (div255Round(x) != (2 * x + 255) / 510) {
      PVG_CHECK(div255Round(x) == (2 * x + 255) / 510);
      break;
    }
  }
}

PVG_TEST("render blend: alpha 255 is an exact copy, alpha 0 an exact no-op") {
  const uint32_t dsts[] = {0xFF000000, 0x00000000, 0x00FFFFFF, 0x80FF8040, 0x01020304, 0xFFFFFFFF, 0x7F7F7F7F};
  for (uint32_t d : dsts) {
    for (uint32_t c = 0; c < (1u << 24); c += 0x010F0Bu) {
      PVG_CHECK(blendOver(0xFF000000u | c, d) == (0xFF000000u | c));
      PVG_CHECK(blendOver(c, d) == d);  // alpha 0, any colour
    }
  }
}

PVG_TEST("render blend: hand-computed values") {
  // Opaque destination: C = round((Cs As + Cd (255 - As)) / 255).
  // R: 255*128/255 = 128; B: 255*127/255 = 127.
  PVG_CHECK(blendOver(0x80FF0000, 0xFF0000FF) == 0xFF80007F);
  // 10*1 + 250*254 = 63510 -> 249.06 -> 249; 200*1 + 100*254 = 25600 -> 100.39 -> 100
  PVG_CHECK(blendOver(0x010A00C8, 0xFFFA0064) == 0xFFF90064);
  // Translucent destination: ws = 128*255 = 32640, wd = 128*127 = 16256, den = 48896.
  // A = 128 + round(16256/255 = 63.75) = 192; R = round(255*32640/48896 = 170.22) = 170;
  // B = round(255*16256/48896 = 84.78) = 85.
  PVG_CHECK(blendOver(0x80FF0000, 0x800000FF) == 0xC0AA0055);
  // Transparent destination: the source, whatever the destination colour was.
  PVG_CHECK(blendOver(0x40123456, 0x00FFFFFF) == 0x40123456);
  // An exact tie rounds up: As = 2, Ad = 2 -> ws = 510, wd = 2*253 = 506, den = 1016;
  // Cs = 0, Cd = 254: 254*506/1016 = 126.5 exactly -> 127. A = 2 + round(506/255 = 1.98) = 4.
  PVG_CHECK(blendOver(0x02000000, 0x02FEFEFE) == 0x047F7F7F);
}

PVG_TEST("render blend: all 256x256 (alpha, channel) pairs match the reference formula") {
  // For several fixed destinations (opaque, translucent, nearly transparent, transparent), every
  // source alpha and every channel value (in all three channels at once).
  const uint32_t dsts[] = {0xFF3C7A11, 0xFF000000, 0xFFFFFFFF, 0x803C7A11, 0x5AFF00C3, 0x01FFFFFF, 0xFE010203, 0x00808080};
  for (uint32_t d : dsts) {
    int bad = 0;
    for (uint32_t a = 0; a < 256 && bad < 5; ++a) {
      for (uint32_t c = 0; c < 256; ++c) {
        const uint32_t s = (a << 24) | (c * 0x010101u);
        const uint32_t got = blendOver(s, d);
        const uint32_t want = referenceOver(s, d);
        if (got != want) {
          if (bad++ < 5) std::fprintf(stderr, "    blend %08x over %08x: got %08x want %08x\n", s, d, got, want);
        }
        if (a != 0) {
          for (int shift = 0; shift <= 24; shift += 8) {
            const double real = realChannel(s, d, shift);
            PVG_CHECK(std::fabs(static_cast<double>((got >> shift) & 0xFF) - real) <= 0.5 + 1e-9);
          }
        }
      }
    }
    PVG_CHECK(bad == 0);
  }
}

PVG_TEST("render blend: all 256x256 (source alpha, destination alpha) pairs match the reference") {
  int bad = 0;
  for (uint32_t as = 0; as < 256; ++as) {
    for (uint32_t ad = 0; ad < 256; ++ad) {
      const uint32_t s = (as << 24) | 0xC81E64u, d = (ad << 24) | 0x14F0A0u;
      if (blendOver(s, d) != referenceOver(s, d)) ++bad;
    }
  }
  PVG_CHECK(bad == 0);
}

// ---------------------------------------------------------------------------------------------
// blit and ContiguousRows

PVG_TEST("render blit: Copy writes the source pixels exactly, from unaligned padded rows") {
  Frame f = patterned(20, 12);
  std::vector<uint32_t> ref = snapshot(f);
  const SourceImage img(7, 5, 1, 6);  // rows start at odd addresses
  ContiguousRows rows = img.rows();
  const Rect d{11, 6, 7, 5};
  PVG_CHECK(blit(f, d, BlendMode::Copy, rows) == DrawStatus::Ok);
  for (uint32_t y = 0; y < d.h; ++y)
    for (uint32_t x = 0; x < d.w; ++x) ref[(d.y + y) * 20 + d.x + x] = img.at(x, y);  // alpha copied too
  PVG_CHECK(snapshot(f) == ref);
}

PVG_TEST("render blit: SourceOver blends every pixel with the reference formula") {
  Frame f = patterned(20, 12);
  std::vector<uint32_t> ref = snapshot(f);
  const SourceImage img(9, 7, 3, 0);
  ContiguousRows rows = img.rows();
  const Rect d{4, 3, 9, 7};
  PVG_CHECK(blit(f, d, BlendMode::SourceOver, rows) == DrawStatus::Ok);
  for (uint32_t y = 0; y < d.h; ++y) {
    for (uint32_t x = 0; x < d.w; ++x) {
      uint32_t& p = ref[(d.y + y) * 20 + d.x + x];
      p = referenceOver(img.at(x, y), p);
    }
  }
  PVG_CHECK(snapshot(f) == ref);
}

PVG_TEST("render blit: SourceOver rows (the vector path) match the reference for every (alpha, channel)") {
  // 256 x 256 source: column = channel value, row = alpha; the three channels differ. Over an
  // opaque destination (the four-pixel path) and over rows where one pixel in four, or every
  // other group, is translucent (the fallback inside a group), at an unaligned source address.
  for (int variant = 0; variant < 3; ++variant) {
    Frame f;
    PVG_REQUIRE(f.resize(256, 256));
    for (uint32_t y = 0; y < 256; ++y) {
      for (uint32_t x = 0; x < 256; ++x) {
        uint32_t a = 0xFF;
        if (variant == 1 && x % 4 == 2) a = (x * 7 + y) & 0xFF;
        if (variant == 2 && (x / 4) % 2 == 1) a = (x + y * 3) & 0xFF;
        f.row(y)[x] = (a << 24) | (((x * 13 + y) & 0xFF) << 16) | ((255 - x) << 8) | (y ^ x);
      }
    }
    const std::vector<uint32_t> before = snapshot(f);
    SourceImage img(256, 256, 1, 0);
    for (uint32_t a = 0; a < 256; ++a)
      for (uint32_t c = 0; c < 256; ++c) img.set(c, a, (a << 24) | (c << 16) | ((255 - c) << 8) | ((c * 5) & 0xFF));
    ContiguousRows rows = img.rows();
    PVG_CHECK(blit(f, Rect{0, 0, 256, 256}, BlendMode::SourceOver, rows) == DrawStatus::Ok);
    int bad = 0;
    for (uint32_t y = 0; y < 256; ++y) {
      for (uint32_t x = 0; x < 256; ++x) {
        const uint32_t want = referenceOver(img.at(x, y), before[y * 256 + x]);
        if (f.row(y)[x] != want && bad++ < 5) {
          std::fprintf(stderr, "    variant %d (%u, %u): got %08x want %08x\n", variant, x, y, f.row(y)[x], want);
        }
      }
    }
    PVG_CHECK(bad == 0);
  }
}

PVG_TEST("render blit: SourceOver of every width 1 .. 11 at every destination offset (vector body and tail)") {
  const SourceImage img(11, 2, 3, 0);
  for (uint32_t w = 1; w <= 11; ++w) {
    for (uint32_t x0 = 0; x0 + w <= 16; ++x0) {
      Frame f = patterned(16, 2);
      for (uint32_t x = 0; x < 16; ++x) f.row(0)[x] |= 0xFF000000u;  // row 0 opaque, row 1 mixed
      std::vector<uint32_t> ref = snapshot(f);
      ContiguousRows rows(img.bytes.data() + img.lead, img.bytes.size() - img.lead, img.stride, w);
      PVG_CHECK(blit(f, Rect{x0, 0, w, 2}, BlendMode::SourceOver, rows) == DrawStatus::Ok);
      for (uint32_t y = 0; y < 2; ++y)
        for (uint32_t x = 0; x < w; ++x) ref[y * 16 + x0 + x] = referenceOver(img.at(x, y), ref[y * 16 + x0 + x]);
      PVG_CHECK(snapshot(f) == ref);
    }
  }
}

PVG_TEST("render blit: refused arguments draw nothing and never read the source") {
  const SourceImage img(4, 4, 0, 0);
  CountingSource src(img, U32);
  Frame none;
  PVG_CHECK(blit(none, Rect{0, 0, 4, 4}, BlendMode::Copy, src) == DrawStatus::NoFrame);
  Frame f = patterned(16, 8);
  const uint64_t sum = frameChecksum(f);
  PVG_CHECK(blit(f, Rect{0xFFFFFFF0u, 0, 0x20, 1}, BlendMode::Copy, src) == DrawStatus::OutsideFrame);
  PVG_CHECK(blit(f, Rect{0, 0xFFFFFFF0u, 1, 0x20}, BlendMode::SourceOver, src) == DrawStatus::OutsideFrame);
  PVG_CHECK(blit(f, Rect{13, 0, 4, 4}, BlendMode::Copy, src) == DrawStatus::OutsideFrame);
  PVG_CHECK(blit(f, Rect{0, 5, 4, 4}, BlendMode::Copy, src) == DrawStatus::OutsideFrame);
  PVG_CHECK(blit(f, Rect{0, 0, 4, 4}, static_cast<BlendMode>(2), src) == DrawStatus::BadMode);
  PVG_CHECK(blit(f, Rect{0, 0, 4, 4}, static_cast<BlendMode>(255), src) == DrawStatus::BadMode);
  PVG_CHECK(blit(f, Rect{3, 3, 0, 4}, BlendMode::Copy, src) == DrawStatus::Ok);  // empty
  PVG_CHECK(src.calls == 0);
  PVG_CHECK(frameChecksum(f) == sum);
}

PVG_TEST("render blit: a source fault stops the blit; earlier rows stay drawn") {
  for (BlendMode mode : {BlendMode::Copy, BlendMode::SourceOver}) {
    Frame f = patterned(16, 8);
    const std::vector<uint32_t> before = snapshot(f);
    const SourceImage img(5, 6, 0, 0);
    CountingSource src(img, 2);
    PVG_CHECK(blit(f, Rect{2, 1, 5, 6}, mode, src) == DrawStatus::SourceFault);
    PVG_CHECK(src.calls == 3 && src.lastY == 2);  // rows 0, 1 read; row 2 failed; nothing after
    const std::vector<uint32_t> after = snapshot(f);
    for (uint32_t y = 0; y < 8; ++y) {
      for (uint32_t x = 0; x < 16; ++x) {
        const bool drawn = y >= 1 && y < 3 && x >= 2 && x < 7;
        const uint32_t want =
            drawn ? (mode == BlendMode::Copy ? img.at(x - 2, y - 1) : referenceOver(img.at(x - 2, y - 1), before[y * 16 + x])) : before[y * 16 + x];
        PVG_CHECK(after[y * 16 + x] == want);
      }
    }
  }
}

PVG_TEST("render blit: ContiguousRows stops at the row that runs past the buffer") {
  Frame f = patterned(16, 8);
  const std::vector<uint32_t> before = snapshot(f);
  SourceImage img(5, 4, 0, 4);
  img.bytes.pop_back();  // the last row is one byte short
  ContiguousRows rows = img.rows();
  PVG_CHECK(blit(f, Rect{0, 0, 5, 4}, BlendMode::Copy, rows) == DrawStatus::SourceFault);
  for (uint32_t y = 0; y < 3; ++y)
    for (uint32_t x = 0; x < 5; ++x) PVG_CHECK(f.row(y)[x] == img.at(x, y));
  for (uint32_t x = 0; x < 16; ++x) PVG_CHECK(f.row(3)[x] == before[3 * 16 + x]);
}

PVG_TEST("render rows: ContiguousRows bounds-checks every row, overflow-safe") {
  std::vector<uint8_t> buf(100);
  const uint8_t* b = buf.data();
  ContiguousRows r(b, 100, 24, 5);  // rows of 20 bytes, 24 apart: rows 0..3 fit (3*24+20 = 92)
  PVG_CHECK(r.row(0) == b && r.row(3) == b + 72);
  PVG_CHECK(r.row(4) == nullptr);  // 96 + 20 > 100
  PVG_CHECK(r.row(U32) == nullptr);
  ContiguousRows exact(b, 100, 20, 5);
  PVG_CHECK(exact.row(4) == b + 80 && exact.row(5) == nullptr);  // ends exactly at 100
  ContiguousRows zeroStride(b, 100, 0, 25);
  PVG_CHECK(zeroStride.row(U32) == b);
  ContiguousRows tooWide(b, 100, 0, 26);
  PVG_CHECK(tooWide.row(0) == nullptr);
  ContiguousRows nullBase(nullptr, 100, 4, 1);
  PVG_CHECK(nullBase.row(0) == nullptr);
  // y * stride = 0xFFFFFFFE00000001 and rowBytes = 2^34 - 4: their sum would wrap in 64-bit; a
  // (pretend) huge buffer must still refuse. The pointer is never dereferenced.
  ContiguousRows huge(b, std::numeric_limits<size_t>::max(), U32, U32);
  PVG_CHECK(huge.row(U32) == nullptr);
  ContiguousRows wideRow(b, 100, 4, U32);
  PVG_CHECK(wideRow.row(0) == nullptr);
}

PVG_TEST("render status: names") {
  PVG_CHECK(drawStatusName(DrawStatus::Ok) == "ok");
  PVG_CHECK(drawStatusName(DrawStatus::OutsideFrame) == "outside-frame");
  PVG_CHECK(drawStatusName(DrawStatus::NoFrame) == "no-frame");
  PVG_CHECK(drawStatusName(DrawStatus::SourceFault) == "source-fault");
  PVG_CHECK(drawStatusName(DrawStatus::BadMode) == "bad-mode");
  PVG_CHECK(drawStatusName(DrawStatus::Interrupted) == "interrupted");
  PVG_CHECK(drawStatusName(static_cast<DrawStatus>(99)) == "unknown");
}

// ------------------------------------------------------------------ interruption between bands

namespace {
// Answers "go on" `allow` times, then "stop"; counts the questions.
class CountdownInterrupt final : public DrawInterrupt {
 public:
  explicit CountdownInterrupt(uint32_t allow) : allow_(allow) {}
  bool requested() const override { return asked++ >= allow_; }
  mutable uint32_t asked = 0;

 private:
  uint32_t allow_;
};
}  // namespace

PVG_TEST("render bands: rowsPerBand covers kBandPixels with whole rows, at least one") {
  PVG_CHECK(rowsPerBand(1) == kBandPixels);
  PVG_CHECK(rowsPerBand(1920) == kBandPixels / 1920);
  PVG_CHECK(rowsPerBand(8192) == 32);
  PVG_CHECK(rowsPerBand(kBandPixels) == 1 && rowsPerBand(kBandPixels + 1) == 1 && rowsPerBand(U32) == 1);
  PVG_CHECK(rowsPerBand(0) == kBandPixels);  // no division by zero (an empty rectangle draws nothing anyway)
}

PVG_TEST("render bands: an interrupted fill, copy or blit stops between two bands; the rest is untouched") {
  // 4096 wide: 64 rows per band; 200 rows are 4 bands (64, 64, 64, 8).
  constexpr uint32_t W = 4096, H = 200, band = kBandPixels / W;
  static_assert(band == 64);
  for (uint32_t allow = 0; allow <= 4; ++allow) {
    const uint32_t drawnRows = std::min(allow * band, H);
    const bool finished = allow * band >= H;
    {
      Frame f = patterned(W, H);
      const std::vector<uint32_t> before = snapshot(f);
      CountdownInterrupt stop(allow);
      PVG_CHECK(fillRect(f, Rect{0, 0, W, H}, 0xFF123456u, &stop) == (finished ? DrawStatus::Ok : DrawStatus::Interrupted));
      PVG_CHECK(stop.asked == (finished ? 4 : allow + 1));
      for (uint32_t y = 0; y < H; ++y) PVG_CHECK(f.row(y)[7] == (y < drawnRows ? 0xFF123456u : before[size_t{y} * W + 7]));
    }
    {
      // Not whole rows: the other fill path, bands of 64 rows of 4000 pixels.
      Frame f = patterned(W, H);
      const std::vector<uint32_t> before = snapshot(f);
      CountdownInterrupt stop(allow);
      const uint32_t rows = std::min(allow * (kBandPixels / 4000), H);
      (void)fillRect(f, Rect{10, 0, 4000, H}, 0xFF654321u, &stop);
      for (uint32_t y = 0; y < H; ++y) {
        PVG_CHECK(f.row(y)[10] == (y < rows ? 0xFF654321u : before[size_t{y} * W + 10]));
        PVG_CHECK(f.row(y)[9] == before[size_t{y} * W + 9]);
      }
    }
    for (BlendMode mode : {BlendMode::Copy, BlendMode::SourceOver}) {
      Frame f = patterned(W, H);
      const std::vector<uint32_t> before = snapshot(f);
      const SourceImage img(W, H, 1, 0);
      CountingSource src(img, H);
      CountdownInterrupt stop(allow);
      PVG_CHECK(blit(f, Rect{0, 0, W, H}, mode, src, &stop) == (finished ? DrawStatus::Ok : DrawStatus::Interrupted));
      PVG_CHECK(src.calls == drawnRows);  // whole bands read, never a row of the next one
      for (uint32_t y = 0; y < H; ++y) {
        const uint32_t x = 3 * y % W;
        const uint32_t want = y >= drawnRows            ? before[size_t{y} * W + x]
                              : mode == BlendMode::Copy ? img.at(x, y)
                                                        : referenceOver(img.at(x, y), before[size_t{y} * W + x]);
        PVG_CHECK(f.row(y)[x] == want);
      }
    }
    for (const bool down : {true, false}) {
      // Overlapping copies by 5 rows: interrupted, the rows moved are whole bands at the leading
      // edge, each a copy of its source row as it was before the copy began.
      Frame f = patterned(W, H);
      std::vector<uint32_t> want = snapshot(f);
      const Rect dst = down ? Rect{0, 5, W, H - 5} : Rect{0, 0, W, H - 5};
      const uint32_t sy = down ? 0 : 5;
      const uint32_t moved = std::min(allow * band, dst.h);
      std::vector<uint32_t> reference = want;
      referenceCopy(reference, W, 0, sy, dst);
      for (uint32_t i = 0; i < moved; ++i) {
        const uint32_t row = dst.y + (down ? dst.h - 1 - i : i);
        std::copy_n(reference.begin() + static_cast<std::ptrdiff_t>(size_t{row} * W), W, want.begin() + static_cast<std::ptrdiff_t>(size_t{row} * W));
      }
      CountdownInterrupt stop(allow);
      PVG_CHECK(copyRect(f, 0, sy, dst, &stop) == (allow * band >= dst.h ? DrawStatus::Ok : DrawStatus::Interrupted));
      PVG_CHECK(snapshot(f) == want);
    }
  }
}

PVG_TEST("render bands: without an interrupt, or one that never asks to stop, the result is the same") {
  constexpr uint32_t W = 3000, H = 300;
  Frame a = patterned(W, H), b = patterned(W, H);
  CountdownInterrupt never(U32);
  const SourceImage img(W - 10, H - 20, 0, 12);
  ContiguousRows ra = img.rows(), rb = img.rows();
  PVG_CHECK(blit(a, Rect{5, 10, W - 10, H - 20}, BlendMode::SourceOver, ra) == DrawStatus::Ok);
  PVG_CHECK(blit(b, Rect{5, 10, W - 10, H - 20}, BlendMode::SourceOver, rb, &never) == DrawStatus::Ok);
  PVG_CHECK(copyRect(a, 3, 0, Rect{0, 7, W - 3, H - 7}) == DrawStatus::Ok);
  PVG_CHECK(copyRect(b, 3, 0, Rect{0, 7, W - 3, H - 7}, &never) == DrawStatus::Ok);
  PVG_CHECK(fillRect(a, Rect{1, 2, 2000, 250}, 0x80FF00FFu) == DrawStatus::Ok);
  PVG_CHECK(fillRect(b, Rect{1, 2, 2000, 250}, 0x80FF00FFu, &never) == DrawStatus::Ok);
  PVG_CHECK(snapshot(a) == snapshot(b));
  PVG_CHECK(never.asked > 3);
}

PVG_TEST("render frame: new storage reads as zero before any clear") {
  Frame f;
  PVG_REQUIRE(f.resize(300, 200));
  for (uint32_t v : f.pixels()) PVG_CHECK(v == 0);
  f.clear(0xFFFFFFFFu);
  PVG_REQUIRE(f.resize(301, 200));  // grows: new storage, zeroed again
  bool allZero = true;
  for (uint32_t v : f.pixels()) allZero = allZero && v == 0;
  PVG_CHECK(allZero);
}
