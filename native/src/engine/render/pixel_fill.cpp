#include "engine/render/pixel_fill.h"

#include <algorithm>

namespace pvg::engine {

void fillPixels(uint32_t* dst, size_t count, uint32_t argb) noexcept { std::fill_n(dst, count, argb); }

}  // namespace pvg::engine
