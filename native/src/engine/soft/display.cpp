#include "engine/soft/display.h"

#include "engine/protocol.h"

namespace pvg::engine {
void Damage::add(Rect r) {
  if (rectEmpty(r)) return;
  for (const Rect& have : rects_) {
    if (r.x >= have.x && r.y >= have.y && uint64_t{r.x} + r.w <= uint64_t{have.x} + have.w &&
        uint64_t{r.y} + r.h <= uint64_t{have.y} + have.h) {
      return;  // already covered
    }
  }
  if (rects_.size() < proto::kMaxDamageRects) {
    rects_.push_back(r);
    return;
  }
  // Too many pieces: one bounding box costs at most a little more copying.
  Rect box = r;
  for (const Rect& have : rects_) box = unite(box, have);
  rects_.assign(1, box);
}
}  // namespace pvg::engine
