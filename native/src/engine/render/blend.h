// Source-over blending of straight (non-premultiplied) ARGB8888 pixels, in exact integers.
//
// With a = A/255 and c = C/255 the real-valued operator is
//     a_o = a_s + a_d * (1 - a_s)
//     c_o = (c_s * a_s + c_d * a_d * (1 - a_s)) / a_o          (straight alpha out)
// Scaled to bytes, with ws = A_s * 255 and wd = A_d * (255 - A_s), both exact integers:
//     A_o = round((ws + wd) / 255)            = A_s + round(wd / 255)
//     C_o = round((C_s * ws + C_d * wd) / (ws + wd))
// i.e. each output byte is the exactly rounded value of the real formula (rounding half up;
// C_o is computed from the exact a_o, not the rounded A_o). C_o is a weighted mean of C_s and
// C_d, so it never exceeds 255. Special cases, all consistent with the formula where it is
// defined:
//   A_s = 255 -> the source pixel, bit for bit (an exact copy);
//   A_s = 0   -> the destination pixel, bit for bit (an exact no-op; the formula is 0/0 when
//                A_d = 0 too, and the colour of a transparent destination is kept);
//   A_d = 255 -> A_o = 255, C_o = round((C_s * A_s + C_d * (255 - A_s)) / 255), the usual
//                opaque-destination blend (the same value as the general case, computed
//                without a division).
#pragma once
#include <cstddef>
#include <cstdint>

namespace pvg::engine {

// round(x / 255) for 0 <= x <= 255 * 255. Exact: x / 255 never has a fractional part of
// exactly 1/2 (255 is odd), and the shift trick is exact on this range (tested exhaustively).
constexpr uint32_t div255Round(uint32_t x) {
  x += 128;
  return (x + (x >> 8)) >> 8;
}

// A_d = 255, the display frame's usual case, without a branch on A_s: for A_s = 255 this gives
// round(C_s * 255 / 255) = C_s and for A_s = 0 it gives C_d, so copy and no-op stay exact.
[[gnu::always_inline]] constexpr uint32_t blendOverOpaqueDst(uint32_t src, uint32_t dst) {
  const uint32_t as = src >> 24;
  const uint32_t ias = 255 - as;
  const uint32_t r = div255Round(((src >> 16) & 0xFF) * as + ((dst >> 16) & 0xFF) * ias);
  const uint32_t g = div255Round(((src >> 8) & 0xFF) * as + ((dst >> 8) & 0xFF) * ias);
  const uint32_t b = div255Round((src & 0xFF) * as + (dst & 0xFF) * ias);
  return 0xFF000000u | (r << 16) | (g << 8) | b;
}

// Any destination alpha (the divisions are per pixel; kept out of the opaque fast path).
constexpr uint32_t blendOverAnyDst(uint32_t src, uint32_t dst) {
  const uint32_t as = src >> 24;
  if (as == 255) return src;
  if (as == 0) return dst;
  const uint32_t ad = dst >> 24;
  const uint32_t ws = as * 255;         // <= 65025
  const uint32_t wd = ad * (255 - as);  // <= 64770
  const uint32_t den = ws + wd;         // in [255, 65025]: as > 0
  const uint32_t half = den >> 1;       // round half up: floor((num + floor(den / 2)) / den)
  // C * w <= 255 * 65025, the sum <= 255 * den < 2^24: no overflow.
  auto channel = [&](uint32_t shift) {
    const uint32_t cs = (src >> shift) & 0xFF;
    const uint32_t cd = (dst >> shift) & 0xFF;
    return (cs * ws + cd * wd + half) / den;
  };
  const uint32_t ao = as + div255Round(wd);
  return (ao << 24) | (channel(16) << 16) | (channel(8) << 8) | channel(0);
}

[[gnu::always_inline]] constexpr uint32_t blendOver(uint32_t src, uint32_t dst) {
  return (dst >> 24) == 255 ? blendOverOpaqueDst(src, dst) : blendOverAnyDst(src, dst);
}

// dst[i] = blendOver(src pixel i, dst[i]) for i < n; src holds n little-endian ARGB words at any
// alignment and must not overlap dst. Bit-identical to blendOver; on x86-64 four pixels at a
// time (SSE2) wherever the four destination pixels are opaque.
void blendRowOver(uint32_t* dst, const uint8_t* src, size_t n);

}  // namespace pvg::engine
