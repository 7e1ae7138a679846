// Damage tracking between encodes: every added rectangle stays covered, at most kMaxDamageRects
// pieces are kept, and damage that piles up while encodes lag (bands moving down the screen)
// stays close to what changed instead of growing into a whole-frame bounding box.
#include <cstdint>
#include <random>
#include <vector>

#include "abi/protocol.h"
#include "engine/soft/display.h"
#include "harness.h"

using pvg::engine::Damage;
using pvg::engine::Rect;

namespace {
bool covered(const Damage& d, uint32_t x, uint32_t y) {
  for (const Rect& r : d.rects()) {
    if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) return true;
  }
  return false;
}

uint64_t storedArea(const Damage& d) {
  uint64_t a = 0;
  for (const Rect& r : d.rects()) a += uint64_t{r.w} * r.h;
  return a;
}
}  // namespace

PVG_TEST("damage: bands moving down a 3840x2160 frame, wrapping to the top, merge without waste") {
  // 40 bands of 1% as the band workload draws them (frames 80..119), coalesced into one encode:
  // they run down to the bottom and wrap to the top. A whole-frame bounding box would be 2160 rows.
  Damage d;
  std::vector<bool> rows(2160, false);
  for (uint32_t n = 80; n < 120; ++n) {
    const uint32_t top = (n * 22) % (2160 - 22 + 1);
    d.add(Rect{0, top, 3840, 22});
    for (uint32_t y = top; y < top + 22; ++y) rows[y] = true;
  }
  uint64_t changed = 0;
  for (bool r : rows) changed += r ? 3840 : 0;
  PVG_CHECK(d.rects().size() <= pvg::engine::proto::kMaxDamageRects);
  PVG_CHECK(storedArea(d) <= changed + changed / 10);  // what changed, give or take overlaps
}

PVG_TEST("damage: random rectangles stay covered, in at most kMaxDamageRects pieces") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    Damage d;
    std::vector<Rect> added;
    const int count = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < count; ++i) {
      const Rect r{rng() % 300, rng() % 200, 1 + rng() % 80, 1 + rng() % 60};
      d.add(r);
      added.push_back(r);
    }
    PVG_REQUIRE(d.rects().size() <= pvg::engine::proto::kMaxDamageRects);
    for (const Rect& r : added) {
      // Corners and centre of every added rectangle are still damaged.
      PVG_CHECK(covered(d, r.x, r.y));
      PVG_CHECK(covered(d, r.x + r.w - 1, r.y + r.h - 1));
      PVG_CHECK(covered(d, r.x + r.w / 2, r.y + r.h / 2));
    }
  }
}

PVG_TEST("damage: a covered rectangle adds nothing; a covering one replaces what it covers") {
  Damage d;
  d.add(Rect{10, 10, 5, 5});
  d.add(Rect{11, 11, 2, 2});
  PVG_CHECK(d.rects().size() == 1);
  d.add(Rect{0, 0, 100, 100});
  PVG_CHECK(d.rects().size() == 1);
  PVG_CHECK((d.rects()[0] == Rect{0, 0, 100, 100}));
  d.add(Rect{0, 0, 0, 7});  // empty
  PVG_CHECK(d.rects().size() == 1);
}
