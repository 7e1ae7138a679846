#include "engine/render/cursor_glyph.h"

#include <algorithm>
#include <cstring>

#include "engine/render/blend.h"

namespace pvg::engine {

bool CursorGlyph::valid() const {
  return w >= 1 && w <= kMaxCursorSize && h >= 1 && h <= kMaxCursorSize && hotX < w && hotY < h && argb.size() == size_t{w} * h;
}

std::string_view cursorErrorName(CursorError error) {
  switch (error) {
    case CursorError::None:
      return "none";
    case CursorError::BadSize:
      return "bad-size";
    case CursorError::BadBpp:
      return "bad-bpp";
    case CursorError::BadStride:
      return "bad-stride";
    case CursorError::BadHotspot:
      return "bad-hotspot";
  }
  return "unknown";
}

namespace {
constexpr uint32_t expand5(uint32_t v) { return (v << 3) | (v >> 2); }

void convertRow(const uint8_t* s, uint32_t* d, uint32_t w, uint32_t bpp) {
  switch (bpp) {
    case 32:
      std::memcpy(d, s, size_t{w} * 4);  // little-endian host: the bytes are the ARGB word
      break;
    case 24:
      for (uint32_t i = 0; i < w; ++i, s += 3) {
        d[i] = 0xFF000000u | (uint32_t{s[2]} << 16) | (uint32_t{s[1]} << 8) | s[0];
      }
      break;
    case 16:
      for (uint32_t i = 0; i < w; ++i, s += 2) {
        const uint32_t v = uint32_t{s[0]} | (uint32_t{s[1]} << 8);
        const uint32_t a = (v & 0x8000) ? 0xFFu : 0u;
        d[i] = (a << 24) | (expand5((v >> 10) & 31) << 16) | (expand5((v >> 5) & 31) << 8) | expand5(v & 31);
      }
      break;
    case 8:
      for (uint32_t i = 0; i < w; ++i) {
        const uint32_t a = (s[i] >> 4) * 17u;
        const uint32_t l = (s[i] & 15) * 17u;
        d[i] = (a << 24) | (l << 16) | (l << 8) | l;
      }
      break;
  }
}

struct Clip {
  uint32_t x0, y0, x1, y1;  // frame pixels [x0, x1) x [y0, y1)
  uint32_t gx, gy;          // glyph pixel drawn at (x0, y0)
  bool empty() const { return x0 >= x1 || y0 >= y1; }
};

Clip clipGlyph(const CursorGlyph& g, int32_t x, int32_t y, uint32_t fw, uint32_t fh) {
  // 64-bit: x - hotX and left + w cannot overflow.
  const int64_t left = int64_t{x} - g.hotX;
  const int64_t top = int64_t{y} - g.hotY;
  const int64_t x0 = std::max<int64_t>(left, 0);
  const int64_t y0 = std::max<int64_t>(top, 0);
  const int64_t x1 = std::min<int64_t>(left + g.w, fw);
  const int64_t y1 = std::min<int64_t>(top + g.h, fh);
  if (x0 >= x1 || y0 >= y1) return Clip{0, 0, 0, 0, 0, 0};
  return Clip{static_cast<uint32_t>(x0), static_cast<uint32_t>(y0),        static_cast<uint32_t>(x1),
              static_cast<uint32_t>(y1), static_cast<uint32_t>(x0 - left), static_cast<uint32_t>(y0 - top)};
}
}  // namespace

CursorConvertResult convertCursorGlyph(const uint8_t* src, size_t srcBytes, uint32_t w, uint32_t h, uint32_t bpp, uint32_t strideBytes, uint32_t hotX,
                                       uint32_t hotY) {
  CursorConvertResult result;
  if (w == 0 || h == 0 || w > kMaxCursorSize || h > kMaxCursorSize) {
    result.error = CursorError::BadSize;
    return result;
  }
  if (bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    result.error = CursorError::BadBpp;
    return result;
  }
  const uint64_t minStride = (uint64_t{w} * bpp + 7) / 8;
  const uint64_t total = uint64_t{strideBytes} * h;  // < 2^40: no overflow in 64-bit
  if (strideBytes < minStride || src == nullptr || total > srcBytes) {
    result.error = CursorError::BadStride;
    return result;
  }
  if (hotX >= w || hotY >= h) {
    result.error = CursorError::BadHotspot;
    return result;
  }
  CursorGlyph& g = result.glyph;
  g.w = w;
  g.h = h;
  g.hotX = hotX;
  g.hotY = hotY;
  g.argb.resize(size_t{w} * h);  // at most 256 KiB; once per glyph
  for (uint32_t y = 0; y < h; ++y) {
    convertRow(src + size_t{y} * strideBytes, g.argb.data() + size_t{y} * w, w, bpp);
  }
  return result;
}

void compositeCursor(Frame& frame, const CursorGlyph& glyph, int32_t x, int32_t y) {
  if (frame.empty() || !glyph.valid()) return;
  const Clip c = clipGlyph(glyph, x, y, frame.width(), frame.height());
  if (c.empty()) return;
  const uint32_t n = c.x1 - c.x0;
  for (uint32_t fy = c.y0, gy = c.gy; fy < c.y1; ++fy, ++gy) {
    uint32_t* d = frame.row(fy) + c.x0;
    const uint32_t* s = glyph.argb.data() + size_t{gy} * glyph.w + c.gx;
    blendRowOver(d, reinterpret_cast<const uint8_t*>(s), n);
  }
}

Rect cursorBounds(const CursorGlyph& glyph, int32_t x, int32_t y, uint32_t frameW, uint32_t frameH) {
  if (!glyph.valid()) return Rect{};
  const Clip c = clipGlyph(glyph, x, y, frameW, frameH);
  if (c.empty()) return Rect{};
  return Rect{c.x0, c.y0, c.x1 - c.x0, c.y1 - c.y0};
}

}  // namespace pvg::engine
