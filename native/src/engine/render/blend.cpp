#include "engine/render/blend.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pvg::engine {

#if defined(__SSE2__)
namespace {
// blendOverOpaqueDst on four pixels in 16-bit lanes. Every intermediate fits in 16 bits:
// C_s A_s + C_d (255 - A_s) <= 255 * 255 = 65025, + 128 <= 65153, + (x >> 8) <= 65407.
inline __m128i blendOpaque4(__m128i s, __m128i d) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i c255 = _mm_set1_epi16(255);
  const __m128i c128 = _mm_set1_epi16(128);
  auto half = [&](__m128i s16, __m128i d16) {
    __m128i a = _mm_shufflelo_epi16(s16, _MM_SHUFFLE(3, 3, 3, 3));
    a = _mm_shufflehi_epi16(a, _MM_SHUFFLE(3, 3, 3, 3));
    const __m128i ia = _mm_sub_epi16(c255, a);
    __m128i t = _mm_add_epi16(_mm_mullo_epi16(s16, a), _mm_mullo_epi16(d16, ia));
    t = _mm_add_epi16(t, c128);
    return _mm_srli_epi16(_mm_add_epi16(t, _mm_srli_epi16(t, 8)), 8);
  };
  const __m128i lo = half(_mm_unpacklo_epi8(s, zero), _mm_unpacklo_epi8(d, zero));
  const __m128i hi = half(_mm_unpackhi_epi8(s, zero), _mm_unpackhi_epi8(d, zero));
  // The alpha lanes computed above are not the result: A_o is 255 for an opaque destination.
  return _mm_or_si128(_mm_packus_epi16(lo, hi), _mm_set1_epi32(static_cast<int>(0xFF000000u)));
}
}  // namespace
#endif

void blendRowOver(uint32_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i alphaOnes = _mm_set1_epi32(static_cast<int>(0xFF000000u));
  for (; i + 4 <= n; i += 4) {
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst + i));
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * 4));
    // all four destination alphas 255?
    if (_mm_movemask_epi8(_mm_cmpeq_epi32(_mm_and_si128(d, alphaOnes), alphaOnes)) == 0xFFFF) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), blendOpaque4(s, d));
    } else {
      for (size_t k = i; k < i + 4; ++k) {
        uint32_t v;
        std::memcpy(&v, src + k * 4, 4);
        dst[k] = blendOver(v, dst[k]);
      }
    }
  }
#endif
  for (; i < n; ++i) {
    uint32_t v;
    std::memcpy(&v, src + i * 4, 4);  // unaligned little-endian load
    dst[i] = blendOver(v, dst[i]);
  }
}

}  // namespace pvg::engine
