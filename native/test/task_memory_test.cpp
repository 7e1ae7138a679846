// TaskMemory under both map semantics against a page-by-page model: random maps and unmaps, then
// every page's pointer compared with what the model says is mapped there.
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "core/guest_memory.h"
#include "engine/soft/task_memory.h"
#include "harness.h"

namespace {
using pvg::GuestMemoryView;
using pvg::GuestRegion;
using pvg::engine::MapSemantics;
using pvg::engine::TaskAccess;
using pvg::engine::TaskMemory;
constexpr uint64_t P = pvg::kGuestPageSize;
constexpr uint32_t kWindowPages = 32, kRamPages = 64;

struct Machine {
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kRamPages * P, 0);
  std::array<GuestRegion, 1> table{{{0, kRamPages* P, 0, false}}};
  GuestMemoryView view = *GuestMemoryView::create(buffer.data(), buffer.size(), table);
};

struct Page {
  uint32_t gpaPage;
  bool readOnly;
};

// One random run; returns the number of steps whose pages disagreed with the model.
int randomRun(MapSemantics semantics, uint32_t seed) {
  Machine m;
  TaskMemory tm(m.view, semantics);
  tm.addTask(1, kWindowPages * P);
  std::array<std::optional<Page>, kWindowPages> model{};
  std::array<uint32_t, kWindowPages> owner{};  // strict: which map call placed a page (0: none)
  std::mt19937 rng(seed);
  auto below = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  int mismatches = 0;
  for (uint32_t step = 1; step <= 200; ++step) {
    const uint32_t vo = below(kWindowPages);
    if (below(2) == 0) {
      const uint32_t pages = 1 + below(4), gpaPage = below(kRamPages - 4);
      const bool readOnly = below(2) == 1;
      const pvg::engine::PhysicalRange range{gpaPage * P, pages * P};
      const bool fits = vo + pages <= kWindowPages;
      bool overlaps = false;
      for (uint32_t i = 0; fits && i < pages; ++i) overlaps |= model[vo + i].has_value();
      const bool expected = fits && (semantics == MapSemantics::Framework || !overlaps);
      const bool got = tm.addMapping(1, vo * P, readOnly, {&range, 1});
      PVG_CHECK(got == expected);
      if (got) {
        for (uint32_t i = 0; i < pages; ++i) {
          model[vo + i] = Page{gpaPage + i, readOnly};
          owner[vo + i] = step;
        }
      }
    } else {
      const uint32_t pages = 1 + below(8);
      const uint32_t end = std::min(vo + pages, kWindowPages);
      tm.removeRange(1, vo * P, pages * P);
      for (uint32_t i = vo; i < end; ++i) {
        // Strict: only whole mappings inside the range go; framework: every page in it.
        bool whole = true;
        for (uint32_t j = 0; j < kWindowPages; ++j)
          if (owner[j] != 0 && owner[j] == owner[i] && (j < vo || j >= vo + pages)) whole = false;
        if (semantics == MapSemantics::Framework || whole) model[i].reset();
      }
      for (uint32_t i = 0; i < kWindowPages; ++i)
        if (!model[i]) owner[i] = 0;
    }
    for (uint32_t p = 0; p < kWindowPages; ++p) {
      uint8_t* read = tm.pointer(1, p * P + 8, 8, TaskAccess::Read);
      uint8_t* write = tm.pointer(1, p * P + 8, 8, TaskAccess::Write);
      const bool ok =
          model[p] ? read == m.buffer.data() + model[p]->gpaPage * P + 8 && (write != nullptr) == !model[p]->readOnly : read == nullptr && write == nullptr;
      if (!ok) {
        ++mismatches;
        break;
      }
    }
  }
  return mismatches;
}
}  // namespace

PVG_TEST("task memory: strict semantics against a page model (refused overlaps, whole-mapping unmaps)") {
  for (uint32_t seed = 1; seed <= 40; ++seed) PVG_CHECK(randomRun(MapSemantics::Strict, seed) == 0);
}

PVG_TEST("task memory: framework semantics against a page model (maps overwrite, unmaps clear and keep what lies outside)") {
  for (uint32_t seed = 1; seed <= 40; ++seed) PVG_CHECK(randomRun(MapSemantics::Framework, seed) == 0);
}

PVG_TEST("task memory: a framework map over the middle of a mapping splits it") {
  Machine m;
  TaskMemory tm(m.view, MapSemantics::Framework);
  tm.addTask(1, kWindowPages * P);
  const pvg::engine::PhysicalRange big{0, 8 * P}, small{40 * P, 2 * P};
  PVG_REQUIRE(tm.addMapping(1, 0, false, {&big, 1}));
  PVG_REQUIRE(tm.addMapping(1, 2 * P, true, {&small, 1}));
  PVG_CHECK(tm.mappingCount(1) == 3);
  PVG_CHECK(tm.pointer(1, 1 * P, 4, TaskAccess::Write) == m.buffer.data() + 1 * P);
  PVG_CHECK(tm.pointer(1, 3 * P, 4, TaskAccess::Read) == m.buffer.data() + 41 * P);
  PVG_CHECK(tm.pointer(1, 3 * P, 4, TaskAccess::Write) == nullptr);
  PVG_CHECK(tm.pointer(1, 5 * P, 4, TaskAccess::Write) == m.buffer.data() + 5 * P);
  tm.removeRange(1, 1 * P, 6 * P);
  PVG_CHECK(tm.mappingCount(1) == 2);
  PVG_CHECK(tm.pointer(1, 0, 4, TaskAccess::Read) == m.buffer.data());
  PVG_CHECK(tm.pointer(1, 7 * P, 4, TaskAccess::Read) == m.buffer.data() + 7 * P);
  PVG_CHECK(tm.pointer(1, 4 * P, 4, TaskAccess::Read) == nullptr);
}
