#include "engine/soft/display.h"

#include <cstddef>

#include "abi/protocol.h"

namespace pvg::engine {
namespace {
uint64_t area(const Rect& r) { return uint64_t{r.w} * r.h; }

bool covers(const Rect& outer, const Rect& inner) {
  return inner.x >= outer.x && inner.y >= outer.y && uint64_t{inner.x} + inner.w <= uint64_t{outer.x} + outer.w &&
         uint64_t{inner.y} + inner.h <= uint64_t{outer.y} + outer.h;
}
}  // namespace

void Damage::add(Rect r) {
  if (rectEmpty(r)) return;
  for (const Rect& have : rects_) {
    if (covers(have, r)) return;  // already covered
  }
  // Pieces the new rectangle covers go away.
  std::erase_if(rects_, [&](const Rect& have) { return covers(r, have); });
  rects_.push_back(r);
  while (rects_.size() > proto::kMaxDamageRects) {
    // Too many pieces: merge the pair whose union adds the least area, so damage that piles up
    // while encodes lag (bands moving down the screen and wrapping) stays close to what changed
    // instead of growing into a whole-frame bounding box.
    size_t bestA = 0, bestB = 1;
    uint64_t bestWaste = UINT64_MAX;
    for (size_t a = 0; a < rects_.size(); ++a) {
      for (size_t b = a + 1; b < rects_.size(); ++b) {
        const uint64_t u = area(unite(rects_[a], rects_[b]));
        const uint64_t parts = area(rects_[a]) + area(rects_[b]);
        const uint64_t waste = u > parts ? u - parts : 0;
        if (waste < bestWaste) {
          bestWaste = waste;
          bestA = a;
          bestB = b;
        }
      }
    }
    const Rect merged = unite(rects_[bestA], rects_[bestB]);
    rects_.erase(rects_.begin() + static_cast<std::ptrdiff_t>(bestB));  // the later one first
    rects_.erase(rects_.begin() + static_cast<std::ptrdiff_t>(bestA));
    std::erase_if(rects_, [&](const Rect& have) { return covers(merged, have); });
    rects_.push_back(merged);
  }
}
}  // namespace pvg::engine
