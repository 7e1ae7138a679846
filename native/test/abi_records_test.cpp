// The generated record structs (native/src/abi/engine_records.h): every field survives pack and
// unpack at its word, u64 fields split low word first, signed and boolean fields keep their
// meaning, and pack writes no word past the record's own.
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "abi/engine_records.h"
#include "abi/flow_ids.h"
#include "harness.h"
#include "test_support.h"

namespace rec = pvg::engine::rec;
using pvg::test::Rng;

namespace {
rec::Args filled(uint32_t word) {
  rec::Args a;
  a.fill(word);
  return a;
}

// Words from kWords on still hold the fill pattern after pack.
template <typename R>
bool untouchedPast(const rec::Args& a) {
  for (uint32_t i = R::kWords; i < rec::kArgs; ++i)
    if (a[i] != 0x5A5A5A5Au) return false;
  return true;
}
}  // namespace

PVG_TEST("abi records: MmioWrite round trip with random fields, u64 low word first") {
  Rng rng(17);
  for (int i = 0; i < 1000; ++i) {
    rec::in::MmioWrite w;
    w.window = rng.below(2);
    w.offset = rng.next();
    w.size = static_cast<uint32_t>(rng.next());
    w.value = rng.next();
    w.vcpu = static_cast<uint32_t>(rng.next());
    rec::Args a = filled(0x5A5A5A5Au);
    w.pack(a);
    PVG_CHECK(a[1] == static_cast<uint32_t>(w.offset) && a[2] == static_cast<uint32_t>(w.offset >> 32));
    PVG_CHECK(a[4] == static_cast<uint32_t>(w.value) && a[5] == static_cast<uint32_t>(w.value >> 32));
    PVG_CHECK(untouchedPast<rec::in::MmioWrite>(a));
    const auto r = rec::in::MmioWrite::unpack(a);
    PVG_CHECK(r.window == w.window && r.offset == w.offset && r.size == w.size && r.value == w.value && r.vcpu == w.vcpu);
  }
}

PVG_TEST("abi records: engine → device kinds keep thread, slot and id first") {
  rec::out::MapMemory m;
  m.thread = 2;
  m.slot = 5;
  m.id = -1;  // request ids are signed words in the reply table
  m.task = 7;
  m.va = 0x0000'1234'5678'9ABCull;
  m.readOnly = true;
  m.count = 64;
  rec::Args a = filled(0x5A5A5A5Au);
  m.pack(a);
  const std::array<uint32_t, 8> want{2, 5, 0xFFFFFFFFu, 7, 0x56789ABCu, 0x1234u, 1, 64};
  for (size_t i = 0; i < want.size(); ++i) PVG_CHECK(a[i] == want[i]);
  PVG_CHECK(untouchedPast<rec::out::MapMemory>(a));
  const auto r = rec::out::MapMemory::unpack(a);
  PVG_CHECK(r.thread == 2 && r.slot == 5 && r.id == -1 && r.task == 7 && r.va == m.va && r.readOnly && r.count == 64);
  static_assert(rec::out::MapMemory::kKind == rec::OutMapMemory);
  static_assert(rec::out::MapMemory::kWords == 8);
}

PVG_TEST("abi records: signed and boolean fields") {
  rec::out::CursorMove m;
  m.thread = 1;
  m.display = 3;
  m.x = -5;
  m.y = std::numeric_limits<int32_t>::min();
  rec::Args a{};
  m.pack(a);
  PVG_CHECK(a[2] == 0xFFFFFFFBu && a[3] == 0x80000000u);
  const auto r = rec::out::CursorMove::unpack(a);
  PVG_CHECK(r.x == -5 && r.y == std::numeric_limits<int32_t>::min());
  rec::Args show{};
  show[2] = 7;  // any non-zero word is true
  PVG_CHECK(rec::out::CursorShow::unpack(show).show);
  show[2] = 0;
  PVG_CHECK(!rec::out::CursorShow::unpack(show).show);
}

PVG_TEST("abi records: MapMemory's ranges pack and unpack by index, each at its own words, low word first") {
  using Range = rec::out::MapMemory::Range;
  static_assert(Range::kWords == 4);
  Rng rng(23);
  for (int round = 0; round < 200; ++round) {
    const size_t n = rng.below(9);
    std::vector<Range> ranges(n);
    for (Range& r : ranges) r = Range{.gpa = rng.next(), .length = rng.next()};
    std::vector<uint32_t> words(n * Range::kWords + 3, 0x5A5A5A5Au);
    for (size_t i = 0; i < n; ++i) ranges[i].pack(words, i);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t* w = words.data() + i * Range::kWords;
      PVG_CHECK(w[0] == static_cast<uint32_t>(ranges[i].gpa) && w[1] == static_cast<uint32_t>(ranges[i].gpa >> 32));
      PVG_CHECK(w[2] == static_cast<uint32_t>(ranges[i].length) && w[3] == static_cast<uint32_t>(ranges[i].length >> 32));
      const Range r = Range::unpack(words, i);
      PVG_CHECK(r.gpa == ranges[i].gpa && r.length == ranges[i].length);
    }
    for (size_t i = n * Range::kWords; i < words.size(); ++i) PVG_CHECK(words[i] == 0x5A5A5A5Au);
  }
  PVG_CHECK(rec::out::MapMemory{.count = 64}.payloadElements() == 64);
}

PVG_TEST("abi records: a cursor glyph's payload is width × height one-word pixels, counted in 64 bits") {
  static_assert(rec::out::CursorGlyph::Pixel::kWords == 1);
  PVG_CHECK((rec::out::CursorGlyph{.width = 3, .height = 5}.payloadElements() == 15));
  PVG_CHECK((rec::out::CursorGlyph{.width = 0xFFFFFFFFu, .height = 0xFFFFFFFFu}.payloadElements() == 0xFFFFFFFE00000001ull));
  std::array<uint32_t, 4> words{};
  rec::out::CursorGlyph::Pixel{.argb = 0x80FF0000u}.pack(words, 2);
  PVG_CHECK(words[2] == 0x80FF0000u && words[1] == 0 && words[3] == 0);
  PVG_CHECK(rec::out::CursorGlyph::Pixel::unpack(words, 2).argb == 0x80FF0000u);
}

PVG_TEST("abi flow ids: fields masked and placed as shared/trace/flow-ids.ts places them") {
  // 2^45 + (vcpu & 0xFFFFF) * 2^24 + (id & 0xFFFFFF), as in the TS guest's bus port.
  PVG_CHECK(pvg::trace::mmioFlowId(3, 0x01234567u) == 35184372088832.0 + 3 * 16777216.0 + 0x234567);
  PVG_CHECK(pvg::trace::mmioFlowId(0xFFFFFFFFu, 0xFFFFFFFFu) == 35184372088832.0 + 0xFFFFF * 16777216.0 + 0xFFFFFF);
  // firstRing * 2^32 + (slot & 0xFF) * 2^24 + (id & 0xFFFFFF): a slot past 255 wraps, as in JS.
  PVG_CHECK(pvg::trace::callbackFlowId(9, 0x105, 7) == 9 * 4294967296.0 + 5 * 16777216.0 + 7);
}
