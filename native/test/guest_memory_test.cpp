#include <array>
#include <atomic>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "core/guest_memory.h"
#include "harness.h"

namespace {
using pvg::GuestAccess;
using pvg::GuestLayoutError;
using pvg::GuestMemoryError;
using pvg::GuestMemoryView;
using pvg::GuestRegion;
constexpr uint64_t P = pvg::kGuestPageSize;
constexpr uint64_t U64 = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kTopEnd = U64 - (P - 1);  // highest page-aligned end: 2^64 - 4096

// The TypeScript test's machine, but with the top region at the very top of the 64-bit space:
// buffer order top, ram, rom; guest order ram, rom (adjacent), hole, top.
struct Machine {
  static constexpr uint64_t kRamSize = 0x10000;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kRamSize + P + 2 * P, 0);
  std::array<GuestRegion, 3> table{{
      {kTopEnd - 2 * P, 2 * P, 0, false},    // top
      {0, kRamSize, 2 * P, false},           // ram
      {0x10000, P, 2 * P + kRamSize, true},  // rom
  }};
  GuestMemoryView view = *GuestMemoryView::create(buffer.data(), buffer.size(), table);
  uint64_t ramOffset() const { return table[1].offset; }
  uint64_t romOffset() const { return table[2].offset; }
  uint64_t topOffset() const { return table[0].offset; }
};

GuestMemoryError err(const GuestMemoryView& v, uint64_t gpa, uint64_t len, GuestAccess a = GuestAccess::Read) { return v.translate(gpa, len, a).error(); }

GuestLayoutError layoutError(uint64_t length, std::vector<GuestRegion> regions) {
  static uint8_t dummy[1];
  pvg::GuestLayoutCheck why;
  auto v = GuestMemoryView::create(dummy, length, regions, &why);
  return v ? GuestLayoutError::None : why.error;
}
}  // namespace

PVG_TEST("guest memory: error numbers match the TypeScript errno table") {
  PVG_CHECK(static_cast<int32_t>(GuestMemoryError::Overflow) == -7);
  PVG_CHECK(static_cast<int32_t>(GuestMemoryError::Unmapped) == -8);
  PVG_CHECK(static_cast<int32_t>(GuestMemoryError::CrossesRegion) == -9);
  PVG_CHECK(static_cast<int32_t>(GuestMemoryError::ReadOnly) == -10);
  PVG_CHECK(static_cast<int32_t>(GuestMemoryError::BadAccess) == -11);
  PVG_CHECK(pvg::guestMemoryErrorName(GuestMemoryError::CrossesRegion) == "crosses-region");
  PVG_CHECK(pvg::guestMemoryErrorName(GuestMemoryError::ReadOnly) == "read-only");
  PVG_CHECK(pvg::guestMemoryErrorName(static_cast<GuestMemoryError>(-99)) == "unknown");
}

PVG_TEST("guest memory: translate inside a region gives the buffer offset") {
  Machine m;
  auto t = m.view.translate(0x123, 0x10, GuestAccess::Write);
  PVG_REQUIRE(t.ok());
  PVG_CHECK(t.offset() == m.ramOffset() + 0x123);
  PVG_CHECK(m.view.regions()[t.region()].base == 0);
  PVG_CHECK(m.view.translate(0x10000, P, GuestAccess::Read).offset() == m.romOffset());
  PVG_CHECK(m.view.translate(kTopEnd - 2 * P, 2 * P, GuestAccess::Write).offset() == m.topOffset());
}

PVG_TEST("guest memory: region boundaries, adjacency and holes") {
  Machine m;
  const auto& v = m.view;
  PVG_CHECK(err(v, 0, Machine::kRamSize) == GuestMemoryError::None);
  PVG_CHECK(err(v, 0xffff, 1, GuestAccess::Write) == GuestMemoryError::None);
  PVG_CHECK(v.translate(0xffff, 1, GuestAccess::Write).offset() == m.ramOffset() + 0xffff);
  PVG_CHECK(err(v, 0x10000, 1) == GuestMemoryError::None);  // one past RAM = ROM's first byte
  PVG_CHECK(err(v, 0x10000, 1, GuestAccess::Write) == GuestMemoryError::ReadOnly);
  PVG_CHECK(err(v, 0xffff, 2) == GuestMemoryError::CrossesRegion);  // spans adjacent RAM and ROM
  PVG_CHECK(err(v, 0, Machine::kRamSize + 1) == GuestMemoryError::CrossesRegion);
  PVG_CHECK(err(v, 0x10fff, 1) == GuestMemoryError::None);
  PVG_CHECK(err(v, 0x11000, 1) == GuestMemoryError::Unmapped);
  PVG_CHECK(err(v, 0x10fff, 2) == GuestMemoryError::CrossesRegion);         // runs into the hole
  PVG_CHECK(err(v, kTopEnd - 2 * P - 1, 2) == GuestMemoryError::Unmapped);  // starts in the hole
  auto c = v.translate(0xfff0, 0x20, GuestAccess::Read);
  PVG_CHECK(c.error() == GuestMemoryError::CrossesRegion && v.regions()[c.region()].base == 0);
  PVG_CHECK(v.translate(0x11000, 1, GuestAccess::Read).region() == pvg::GuestTranslation::kNoRegion);
}

PVG_TEST("guest memory: zero-length accesses are checked like one byte at gpa") {
  Machine m;
  const auto& v = m.view;
  PVG_CHECK(v.translate(0, 0, GuestAccess::Read).offset() == m.ramOffset());
  auto t = v.translate(0x10000, 0, GuestAccess::Read);
  PVG_CHECK(t.ok() && t.offset() == m.romOffset());  // belongs to ROM, not "one past RAM"
  PVG_CHECK(err(v, 0x10000, 0, GuestAccess::Write) == GuestMemoryError::ReadOnly);
  PVG_CHECK(err(v, 0x11000, 0) == GuestMemoryError::Unmapped);
  PVG_CHECK(err(v, kTopEnd, 0) == GuestMemoryError::Unmapped);
  PVG_CHECK(err(v, U64, 0) == GuestMemoryError::Unmapped);  // 2^64-1 + 0 does not wrap
}

PVG_TEST("guest memory: addresses near 2^64 and wrap-around") {
  Machine m;
  const auto& v = m.view;
  PVG_CHECK(err(v, kTopEnd - 1, 1, GuestAccess::Write) == GuestMemoryError::None);
  PVG_CHECK(v.translate(kTopEnd - 1, 1, GuestAccess::Read).offset() == m.topOffset() + 2 * P - 1);
  PVG_CHECK(err(v, kTopEnd, 1) == GuestMemoryError::Unmapped);
  PVG_CHECK(err(v, U64 - 1, 1) == GuestMemoryError::Unmapped);  // ends exactly at 2^64-1: no wrap
  PVG_CHECK(err(v, U64, 1) == GuestMemoryError::Overflow);
  PVG_CHECK(err(v, U64, U64) == GuestMemoryError::Overflow);
  PVG_CHECK(err(v, kTopEnd - 1, P + 1) == GuestMemoryError::Overflow);   // end would be 2^64: wraps
  PVG_CHECK(err(v, kTopEnd - 1, P) == GuestMemoryError::CrossesRegion);  // end 2^64-1: no wrap, too long
  PVG_CHECK(err(v, 1, U64) == GuestMemoryError::Overflow);
  PVG_CHECK(err(v, 0, U64) == GuestMemoryError::CrossesRegion);
  PVG_CHECK(err(v, 0x10, U64 - 0x10 + 1) == GuestMemoryError::Overflow);  // sum would be exactly 2^64
  // A length that would wrap back into the region (gpa + length mod 2^64 small) is refused.
  PVG_CHECK(err(v, 0x100, U64 - 0xff + 0x10) == GuestMemoryError::Overflow);
}

PVG_TEST("guest memory: bad access kinds are refused") {
  Machine m;
  PVG_CHECK(err(m.view, 0, 1, static_cast<GuestAccess>(2)) == GuestMemoryError::BadAccess);
  PVG_CHECK(err(m.view, 0, 1, static_cast<GuestAccess>(255)) == GuestMemoryError::BadAccess);
}

PVG_TEST("guest memory: read, write and pointer copy only what was allowed") {
  Machine m;
  const auto& v = m.view;
  const uint8_t in[4] = {1, 2, 3, 4};
  PVG_CHECK(v.write(0xfffc, in, 4) == GuestMemoryError::None);
  uint8_t out[4] = {};
  PVG_CHECK(v.read(0xfffc, out, 4) == GuestMemoryError::None);
  PVG_CHECK(std::memcmp(in, out, 4) == 0);
  PVG_CHECK(std::memcmp(m.buffer.data() + m.ramOffset() + 0xfffc, in, 4) == 0);
  std::vector<uint8_t> before = m.buffer;
  PVG_CHECK(v.write(0x10000, in, 1) == GuestMemoryError::ReadOnly);
  PVG_CHECK(v.write(0xfffe, in, 4) == GuestMemoryError::CrossesRegion);
  PVG_CHECK(v.write(U64, in, 4) == GuestMemoryError::Overflow);
  PVG_CHECK(v.read(0x11000, out, 1) == GuestMemoryError::Unmapped);
  PVG_CHECK(v.write(0x11000, nullptr, 0) == GuestMemoryError::Unmapped);
  PVG_CHECK(v.write(0x20, nullptr, 0) == GuestMemoryError::None);
  PVG_CHECK(m.buffer == before);
  GuestMemoryError e = GuestMemoryError::None;
  PVG_CHECK(v.pointer(0x10000, 1, GuestAccess::Write, &e) == nullptr && e == GuestMemoryError::ReadOnly);
  PVG_CHECK(v.pointer(0x10000, 1, GuestAccess::Read, &e) == m.buffer.data() + m.romOffset() && e == GuestMemoryError::None);
}

PVG_TEST("guest memory: region tables are validated") {
  const uint64_t len = 8 * P;
  PVG_CHECK(layoutError(len, {{0, P, 0, false}}) == GuestLayoutError::None);
  PVG_CHECK(layoutError(len, {{0, P, 0, false}, {P, P, P, true}}) == GuestLayoutError::None);  // adjacent
  PVG_CHECK(layoutError(len, {}) == GuestLayoutError::NoRegions);
  PVG_CHECK(layoutError(len, {{0, 0, 0, false}}) == GuestLayoutError::ZeroSize);
  PVG_CHECK(layoutError(len, {{1, P, 0, false}}) == GuestLayoutError::Misaligned);
  PVG_CHECK(layoutError(len, {{0, P + 1, 0, false}}) == GuestLayoutError::Misaligned);
  PVG_CHECK(layoutError(len, {{0, P, 8, false}, {P, P, 2 * P, false}}) == GuestLayoutError::Misaligned);  // remainders 8 and 0
  PVG_CHECK(layoutError(len, {{kTopEnd, P, 0, false}}) == GuestLayoutError::RegionWraps);
  PVG_CHECK(layoutError(len, {{kTopEnd - P, P, 0, false}}) == GuestLayoutError::None);
  PVG_CHECK(layoutError(len, {{0, P, len, false}}) == GuestLayoutError::OutsideBuffer);
  PVG_CHECK(layoutError(len, {{0, 2 * P, len - P, false}}) == GuestLayoutError::OutsideBuffer);
  PVG_CHECK(layoutError(len, {{0, P, kTopEnd, false}}) == GuestLayoutError::OutsideBuffer);  // offset + size would wrap
  PVG_CHECK(layoutError(len, {{0, 2 * P, 0, false}, {P, P, 2 * P, false}}) == GuestLayoutError::GuestOverlap);
  PVG_CHECK(layoutError(len, {{0, 2 * P, 0, false}, {4 * P, P, P, false}}) == GuestLayoutError::BufferOverlap);
  pvg::GuestLayoutCheck why;
  GuestRegion regions[] = {{0, P, 0, false}, {P, P, P, false}, {P, P, 2 * P, false}};
  PVG_CHECK(!GuestMemoryView::create(nullptr, len, regions, &why) && why.error == GuestLayoutError::NullBuffer);
  uint8_t buf[1];
  PVG_CHECK(!GuestMemoryView::create(buf, len, regions, &why) && why.error == GuestLayoutError::GuestOverlap && why.region == 2);
}

// A simple reference: 128-bit arithmetic and a linear scan, over random accesses biased toward
// region edges and the top of the address space.
PVG_TEST("guest memory: translate agrees with a reference model on boundary-biased inputs") {
  Machine m;
  const auto& v = m.view;
  auto reference = [&](uint64_t gpa, uint64_t len, GuestAccess a, uint64_t* offset) {
    const unsigned __int128 end = static_cast<unsigned __int128>(gpa) + len;
    if (end > U64) return GuestMemoryError::Overflow;
    for (const GuestRegion& r : m.table) {
      if (gpa < r.base || gpa - r.base >= r.size) continue;
      if (end > static_cast<unsigned __int128>(r.base) + r.size) return GuestMemoryError::CrossesRegion;
      if (a == GuestAccess::Write && r.readOnly) return GuestMemoryError::ReadOnly;
      *offset = r.offset + (gpa - r.base);
      return GuestMemoryError::None;
    }
    return GuestMemoryError::Unmapped;
  };
  std::vector<uint64_t> edges = {0, U64};
  for (const GuestRegion& r : m.table) edges.insert(edges.end(), {r.base, r.base + r.size});
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {  // xorshift64*
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
  };
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    uint64_t gpa = (next() % 4 == 0) ? next() : edges[next() % edges.size()] + (next() % 5) - 2;
    uint64_t len;
    switch (next() % 5) {
      case 0:
        len = next() % 4;
        break;
      case 1:
        len = next() % (3 * P);
        break;
      case 2:
        len = U64 - gpa + (next() % 3);
        break;  // around the wrap (may itself wrap: fine)
      case 3:
        len = next();
        break;
      default: {
        uint64_t e = edges[next() % edges.size()];
        len = e - gpa + (next() % 5) - 2;
      }
    }
    GuestAccess a = next() % 2 ? GuestAccess::Write : GuestAccess::Read;
    uint64_t want = 0;
    GuestMemoryError expect = reference(gpa, len, a, &want);
    auto t = v.translate(gpa, len, a);
    PVG_CHECK(t.error() == expect);
    if (expect == GuestMemoryError::None) PVG_CHECK(t.offset() == want);
    if (t.error() != expect) {
      std::fprintf(stderr, "    gpa=%#llx len=%#llx\n", (unsigned long long)gpa, (unsigned long long)len);
      break;
    }
    ++checked;
  }
  PVG_CHECK(checked == 200000);
}

PVG_TEST("guest memory: one view is shared by many threads") {
  Machine m;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 2000; ++i) {
        uint64_t gpa = (static_cast<uint64_t>(t) * 0x4000) + (i % 0x3ff0);
        uint8_t b = static_cast<uint8_t>(i);
        if (m.view.write(gpa, &b, 1) != GuestMemoryError::None) failures++;
        if (m.view.translate(0x10000, 1, GuestAccess::Write).error() != GuestMemoryError::ReadOnly) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  PVG_CHECK(failures.load() == 0);
}
