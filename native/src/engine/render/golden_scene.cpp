#include "engine/render/golden_scene.h"

#include <cstring>
#include <utility>
#include <vector>

#include "engine/render/cursor_glyph.h"
#include "engine/render/draw.h"

namespace pvg::engine {

uint64_t fnv1a64(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t frameChecksum(const Frame& frame) {
  auto px = frame.pixels();
  return fnv1a64({reinterpret_cast<const uint8_t*>(px.data()), px.size_bytes()});
}

namespace {

// Tracks that every drawing call of a scene succeeded (a scene that silently drew less would
// still have a stable checksum, so it is reported instead).
struct Canvas {
  Frame& f;
  bool ok = true;
  void check(DrawStatus s) { ok = ok && s == DrawStatus::Ok; }
};

// A generated source image: rows `stride` bytes apart, starting `lead` bytes into the buffer (so
// rows can be unaligned), pixel (x, y) = pixel(x, y) stored little-endian.
struct Image {
  std::vector<uint8_t> bytes;
  uint32_t lead = 0;
  uint32_t stride = 0;
  const uint8_t* base() const { return bytes.data() + lead; }
  size_t size() const { return bytes.size() - lead; }
};

template <class Pixel>
Image makeImage(uint32_t w, uint32_t h, uint32_t lead, uint32_t padBytes, Pixel pixel) {
  Image img;
  img.lead = lead;
  img.stride = w * 4 + padBytes;
  img.bytes.assign(lead + size_t{img.stride} * h, 0xCD);  // padding is visible garbage if read
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      const uint32_t v = pixel(x, y);
      std::memcpy(img.bytes.data() + lead + size_t{y} * img.stride + size_t{x} * 4, &v, 4);
    }
  }
  return img;
}

// Opaque gradient: red across, green down, blue = x xor y.
Image opaqueGradient(uint32_t w, uint32_t h, uint32_t lead, uint32_t pad) {
  return makeImage(w, h, lead, pad, [w, h](uint32_t x, uint32_t y) {
    const uint32_t r = x * 255 / (w - 1);
    const uint32_t g = y * 255 / (h - 1);
    const uint32_t b = (x ^ y) & 0xFF;
    return 0xFF000000u | (r << 16) | (g << 8) | b;
  });
}

// Alpha rising left to right (0 in the first column, 255 in the last), colour varying down;
// the top four rows are fully transparent and the bottom four fully opaque.
Image alphaGradient(uint32_t w, uint32_t h, uint32_t lead, uint32_t pad) {
  return makeImage(w, h, lead, pad, [w, h](uint32_t x, uint32_t y) {
    uint32_t a = x * 255 / (w - 1);
    if (y < 4) a = 0;
    if (y >= h - 4) a = 255;
    const uint32_t r = 255 - y * 255 / (h - 1);
    const uint32_t g = (x * 3 + y) & 0xFF;
    const uint32_t b = y * 255 / (h - 1);
    return (a << 24) | (r << 16) | (g << 8) | b;
  });
}

DrawStatus blitImage(Frame& f, const Image& img, uint32_t sx, uint32_t sy, Rect dst, BlendMode mode) {
  const size_t start = size_t{sy} * img.stride + size_t{sx} * 4;
  ContiguousRows rows(img.base() + start, img.size() - start, img.stride, dst.w);
  return blit(f, dst, mode, rows);
}

void checkerboard(Canvas& c, Rect area, uint32_t cell, uint32_t c0, uint32_t c1) {
  for (uint32_t y = 0; y < area.h; y += cell) {
    for (uint32_t x = 0; x < area.w; x += cell) {
      const uint32_t w = area.w - x < cell ? area.w - x : cell;
      const uint32_t h = area.h - y < cell ? area.h - y : cell;
      c.check(fillRect(c.f, Rect{area.x + x, area.y + y, w, h}, ((x / cell + y / cell) & 1) ? c1 : c0));
    }
  }
}

// 64 x 64 block of 8 x 8 cells, each a different colour, with a white 1-pixel mark in the top-left
// cell so that a wrong direction of copy shows.
void copyPattern(Canvas& c, uint32_t x0, uint32_t y0) {
  for (uint32_t j = 0; j < 8; ++j) {
    for (uint32_t i = 0; i < 8; ++i) {
      c.check(fillRect(c.f, Rect{x0 + i * 8, y0 + j * 8, 8, 8}, 0xFF000000u | ((i * 32) << 16) | ((j * 32) << 8) | ((i + j) * 16)));
    }
  }
  c.check(fillRect(c.f, Rect{x0 + 1, y0 + 1, 3, 1}, 0xFFFFFFFF));
  c.check(fillRect(c.f, Rect{x0 + 1, y0 + 2, 1, 3}, 0xFFFFFFFF));
}

void sceneFills(Canvas& c) {
  c.check(fillRect(c.f, Rect{0, 0, 320, 200}, 0xFF202040));  // whole frame: the contiguous path
  c.check(fillRect(c.f, Rect{10, 10, 100, 60}, 0xFFFF0000));
  c.check(fillRect(c.f, Rect{60, 40, 100, 60}, 0xFF00FF00));
  c.check(fillRect(c.f, Rect{110, 70, 100, 60}, 0xFF0000FF));
  c.check(fillRect(c.f, Rect{0, 150, 320, 20}, 0xFF808080));  // full-width band
  c.check(fillRect(c.f, Rect{0, 199, 320, 1}, 0xFFFFFFFF));   // bottom row
  c.check(fillRect(c.f, Rect{319, 0, 1, 200}, 0xFFFFFF00));   // right column
  c.check(fillRect(c.f, Rect{0, 0, 1, 1}, 0xFFFF00FF));       // the four corners
  c.check(fillRect(c.f, Rect{319, 0, 1, 1}, 0xFF00FFFF));
  c.check(fillRect(c.f, Rect{0, 199, 1, 1}, 0xFFFF8000));
  c.check(fillRect(c.f, Rect{319, 199, 1, 1}, 0xFF0080FF));
  checkerboard(c, Rect{220, 10, 92, 92}, 8, 0xFFE0E0E0, 0xFF303030);
  c.check(fillRect(c.f, Rect{200, 120, 50, 50}, 0x80FFFFFF));  // stored as given: a replace, not a blend
  c.check(fillRect(c.f, Rect{30, 110, 0, 10}, 0xFFFFFFFF));    // empty: draws nothing
}

void sceneCopies(Canvas& c) {
  c.check(fillRect(c.f, Rect{0, 0, 320, 200}, 0xFF101010));
  copyPattern(c, 20, 20);
  copyPattern(c, 180, 20);
  copyPattern(c, 20, 120);
  copyPattern(c, 180, 120);
  c.check(copyRect(c.f, 20, 20, Rect{27, 25, 64, 64}));      // down-right, overlapping
  c.check(copyRect(c.f, 180, 20, Rect{173, 25, 64, 64}));    // down-left
  c.check(copyRect(c.f, 20, 120, Rect{27, 115, 64, 64}));    // up-right
  c.check(copyRect(c.f, 180, 120, Rect{173, 115, 64, 64}));  // up-left
  c.check(copyRect(c.f, 180, 20, Rect{260, 10, 40, 40}));    // non-overlapping
  for (uint32_t i = 0; i < 10; ++i) c.check(fillRect(c.f, Rect{100 + i * 4, 100, 2, 12}, 0xFF203040u + i * 0x00180C06u));
  c.check(copyRect(c.f, 100, 100, Rect{103, 100, 40, 12}));  // same rows, right by 3
  c.check(copyRect(c.f, 103, 100, Rect{101, 100, 40, 12}));  // same rows, left by 2
  c.check(copyRect(c.f, 0, 0, Rect{0, 0, 320, 200}));        // onto itself: nothing
}

void sceneBlitCopy(Canvas& c) {
  c.check(fillRect(c.f, Rect{0, 0, 320, 200}, 0xFF000040));
  const Image g = opaqueGradient(160, 120, 1, 12);  // unaligned rows, 12 bytes of padding
  c.check(blitImage(c.f, g, 0, 0, Rect{16, 16, 160, 120}, BlendMode::Copy));
  c.check(blitImage(c.f, g, 20, 10, Rect{200, 100, 100, 80}, BlendMode::Copy));  // a sub-image
  ContiguousRows repeated(g.base() + size_t{60} * g.stride, g.size() - size_t{60} * g.stride, 0, 96);
  c.check(blit(c.f, Rect{200, 8, 96, 40}, BlendMode::Copy, repeated));  // stride 0: one row repeated
  const Image a = alphaGradient(64, 40, 0, 0);
  c.check(blitImage(c.f, a, 0, 0, Rect{16, 150, 64, 40}, BlendMode::Copy));  // Copy keeps the source alpha
}

void sceneBlitAlpha(Canvas& c) {
  c.check(fillRect(c.f, Rect{0, 0, 160, 200}, 0xFF102060));
  checkerboard(c, Rect{160, 0, 160, 200}, 10, 0xFFFFFFFF, 0xFF404040);
  c.check(fillRect(c.f, Rect{0, 140, 320, 40}, 0x60FF8000));  // a translucent destination band
  c.check(fillRect(c.f, Rect{0, 180, 320, 20}, 0x00000000));  // a fully transparent destination band
  const Image a = alphaGradient(200, 64, 3, 4);
  c.check(blitImage(c.f, a, 0, 0, Rect{60, 10, 200, 64}, BlendMode::SourceOver));
  c.check(blitImage(c.f, a, 0, 0, Rect{60, 120, 200, 64}, BlendMode::SourceOver));  // over the translucent bands
  c.check(blitImage(c.f, a, 50, 20, Rect{10, 80, 120, 30}, BlendMode::SourceOver));
  const Image g = opaqueGradient(40, 40, 0, 0);
  c.check(blitImage(c.f, g, 0, 0, Rect{270, 80, 40, 40}, BlendMode::SourceOver));  // opaque: an exact copy
}

// The four test glyphs, each 20 x 16, hotspot (3, 2).
struct GlyphSet {
  CursorGlyph g32, g24, g16, g8;
};

GlyphSet makeGlyphs(Canvas& c) {
  constexpr uint32_t W = 20, H = 16;
  GlyphSet s;
  {  // 32: a disc of alpha falling off from the centre, coloured
    std::vector<uint8_t> b(size_t{W} * 4 * H);
    for (uint32_t y = 0; y < H; ++y) {
      for (uint32_t x = 0; x < W; ++x) {
        const int dx = static_cast<int>(x) - 10, dy = static_cast<int>(y) - 8;
        const int d2 = dx * dx + dy * dy;
        const uint32_t a = d2 >= 64 ? 0 : 255 - static_cast<uint32_t>(d2) * 4;
        const uint32_t v = (a << 24) | ((x * 12) << 16) | (0x40u << 8) | (y * 15);
        std::memcpy(b.data() + (size_t{y} * W + x) * 4, &v, 4);
      }
    }
    auto r = convertCursorGlyph(b.data(), b.size(), W, H, 32, W * 4, 3, 2);
    c.ok = c.ok && r.ok();
    s.g32 = std::move(r.glyph);
  }
  {  // 24: opaque stripes, rows padded to 64 bytes
    const uint32_t stride = 64;
    std::vector<uint8_t> b(size_t{stride} * H, 0xEE);
    for (uint32_t y = 0; y < H; ++y) {
      for (uint32_t x = 0; x < W; ++x) {
        uint8_t* p = b.data() + size_t{y} * stride + size_t{x} * 3;
        p[0] = static_cast<uint8_t>(x * 13);                  // B
        p[1] = static_cast<uint8_t>((x + y) & 1 ? 0xFF : 0);  // G
        p[2] = static_cast<uint8_t>(y * 17);                  // R
      }
    }
    auto r = convertCursorGlyph(b.data(), b.size(), W, H, 24, stride, 3, 2);
    c.ok = c.ok && r.ok();
    s.g24 = std::move(r.glyph);
  }
  {  // 16: an arrow-like triangle, opaque inside, transparent outside
    std::vector<uint8_t> b(size_t{W} * 2 * H);
    for (uint32_t y = 0; y < H; ++y) {
      for (uint32_t x = 0; x < W; ++x) {
        const uint32_t opaque = x <= y ? 0x8000u : 0;
        const uint32_t v = opaque | ((31 - y) << 10) | ((x + 5) << 5) | ((x * y) & 31);
        b[(size_t{y} * W + x) * 2] = static_cast<uint8_t>(v);
        b[(size_t{y} * W + x) * 2 + 1] = static_cast<uint8_t>(v >> 8);
      }
    }
    auto r = convertCursorGlyph(b.data(), b.size(), W, H, 16, W * 2, 3, 2);
    c.ok = c.ok && r.ok();
    s.g16 = std::move(r.glyph);
  }
  {  // 8: A4L4, alpha nibble across, grey down
    std::vector<uint8_t> b(size_t{W} * H);
    for (uint32_t y = 0; y < H; ++y) {
      for (uint32_t x = 0; x < W; ++x) b[size_t{y} * W + x] = static_cast<uint8_t>(((x * 15 / (W - 1)) << 4) | (15 - y));
    }
    auto r = convertCursorGlyph(b.data(), b.size(), W, H, 8, W, 3, 2);
    c.ok = c.ok && r.ok();
    s.g8 = std::move(r.glyph);
  }
  return s;
}

void sceneCursors(Canvas& c) {
  for (uint32_t y = 0; y < 200; y += 10) c.check(fillRect(c.f, Rect{0, y, 320, 10}, 0xFF000000u | (y << 8) | (200 - y)));
  c.check(fillRect(c.f, Rect{100, 60, 120, 80}, 0x80808080));  // translucent destination under some cursors
  const GlyphSet s = makeGlyphs(c);
  const CursorGlyph* all[4] = {&s.g8, &s.g16, &s.g24, &s.g32};
  for (int i = 0; i < 4; ++i) {
    compositeCursor(c.f, *all[i], 30 + i * 40, 30);   // inside, opaque background
    compositeCursor(c.f, *all[i], 110 + i * 30, 80);  // inside, translucent background
  }
  compositeCursor(c.f, s.g32, -5, -3);     // clipped top-left
  compositeCursor(c.f, s.g24, 310, 50);    // clipped right
  compositeCursor(c.f, s.g16, 100, 190);   // clipped bottom
  compositeCursor(c.f, s.g8, 319, 199);    // clipped bottom-right corner
  compositeCursor(c.f, s.g24, 2, 120);     // clipped left (2 - hotX < 0)
  compositeCursor(c.f, s.g32, 160, 1);     // clipped top
  compositeCursor(c.f, s.g32, -1000, 5);   // entirely off-screen: nothing
  compositeCursor(c.f, s.g32, 5, 100000);  // entirely off-screen: nothing
}

void sceneAll(Canvas& c) {
  c.check(fillRect(c.f, Rect{0, 0, 320, 200}, 0xFF183018));
  c.check(fillRect(c.f, Rect{20, 20, 120, 80}, 0xFFC04020));
  c.check(fillRect(c.f, Rect{60, 50, 120, 80}, 0xFF2040C0));
  copyPattern(c, 200, 20);
  c.check(copyRect(c.f, 200, 20, Rect{209, 26, 64, 64}));  // overlapping
  const Image g = opaqueGradient(100, 60, 2, 8);
  c.check(blitImage(c.f, g, 0, 0, Rect{10, 120, 100, 60}, BlendMode::Copy));
  const Image a = alphaGradient(120, 50, 1, 0);
  c.check(blitImage(c.f, a, 0, 0, Rect{80, 100, 120, 50}, BlendMode::SourceOver));
  const GlyphSet s = makeGlyphs(c);
  compositeCursor(c.f, s.g32, 150, 110);
  compositeCursor(c.f, s.g16, 316, 196);
}
}  // namespace

bool renderGoldenScene(Frame& frame, int which) {
  if (!frame.resize(kGoldenWidth, kGoldenHeight)) return false;
  frame.clear(0xFF000000);
  Canvas c{frame};
  switch (which) {
    case kGoldenFills:
      sceneFills(c);
      break;
    case kGoldenCopies:
      sceneCopies(c);
      break;
    case kGoldenBlitCopy:
      sceneBlitCopy(c);
      break;
    case kGoldenBlitAlpha:
      sceneBlitAlpha(c);
      break;
    case kGoldenCursors:
      sceneCursors(c);
      break;
    case kGoldenAll:
      sceneAll(c);
      break;
    default:
      return false;
  }
  return c.ok;
}

}  // namespace pvg::engine
