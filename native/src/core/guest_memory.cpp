// Guest-physical translation for native threads; see guest_memory.h.
#include "core/guest_memory.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

namespace pvg {
namespace {
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

bool pageAligned(uint64_t v) { return v % kGuestPageSize == 0; }

GuestLayoutCheck refuse(GuestLayoutError error, size_t region) { return GuestLayoutCheck{error, region}; }
}  // namespace

std::string_view guestMemoryErrorName(GuestMemoryError error) {
  switch (error) {
    case GuestMemoryError::None:
      return "none";
    case GuestMemoryError::Overflow:
      return "overflow";
    case GuestMemoryError::Unmapped:
      return "unmapped";
    case GuestMemoryError::CrossesRegion:
      return "crosses-region";
    case GuestMemoryError::ReadOnly:
      return "read-only";
    case GuestMemoryError::BadAccess:
      return "bad-access";
  }
  return "unknown";
}

GuestLayoutCheck GuestMemoryView::validate(const uint8_t* base, uint64_t length, std::span<const GuestRegion> regions) {
  if (regions.empty()) return refuse(GuestLayoutError::NoRegions, 0);
  if (base == nullptr) return refuse(GuestLayoutError::NullBuffer, 0);
  for (size_t i = 0; i < regions.size(); ++i) {
    const GuestRegion& r = regions[i];
    if (r.size == 0) return refuse(GuestLayoutError::ZeroSize, i);
    // Offsets share one remainder modulo the page (a host-page shift, docs/kvm.md).
    if (!pageAligned(r.base) || !pageAligned(r.size) || !pageAligned(r.offset - regions[0].offset % kGuestPageSize)) {
      return refuse(GuestLayoutError::Misaligned, i);
    }
    if (r.size > kU64Max - r.base) return refuse(GuestLayoutError::RegionWraps, i);
    if (r.offset > length || r.size > length - r.offset) return refuse(GuestLayoutError::OutsideBuffer, i);
  }
  // Sorted index orders; neighbours must not overlap (adjacent is fine). No sum below wraps:
  // base + size and offset + size were checked above.
  std::vector<size_t> order(regions.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return regions[a].base < regions[b].base; });
  for (size_t k = 1; k < order.size(); ++k) {
    const GuestRegion& prev = regions[order[k - 1]];
    if (regions[order[k]].base < prev.base + prev.size) return refuse(GuestLayoutError::GuestOverlap, order[k]);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return regions[a].offset < regions[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const GuestRegion& prev = regions[order[k - 1]];
    if (regions[order[k]].offset < prev.offset + prev.size) return refuse(GuestLayoutError::BufferOverlap, order[k]);
  }
  return GuestLayoutCheck{};
}

std::optional<GuestMemoryView> GuestMemoryView::create(uint8_t* base, uint64_t length, std::span<const GuestRegion> regions, GuestLayoutCheck* why) {
  GuestLayoutCheck check = validate(base, length, regions);
  if (why) *why = check;
  if (!check.ok()) return std::nullopt;
  std::vector<GuestRegion> sorted(regions.begin(), regions.end());
  std::sort(sorted.begin(), sorted.end(), [](const GuestRegion& a, const GuestRegion& b) { return a.base < b.base; });
  return GuestMemoryView(base, length, std::move(sorted));
}

GuestTranslation GuestMemoryView::translate(uint64_t gpa, uint64_t length, GuestAccess access) const noexcept {
  if (access != GuestAccess::Read && access != GuestAccess::Write) return GuestTranslation::failure(GuestMemoryError::BadAccess);
  if (length > kU64Max - gpa) return GuestTranslation::failure(GuestMemoryError::Overflow);
  // The last region whose base <= gpa.
  auto it = std::upper_bound(regions_.begin(), regions_.end(), gpa, [](uint64_t g, const GuestRegion& r) { return g < r.base; });
  if (it == regions_.begin()) return GuestTranslation::failure(GuestMemoryError::Unmapped);
  --it;
  const GuestRegion& r = *it;
  const size_t index = static_cast<size_t>(it - regions_.begin());
  const uint64_t into = gpa - r.base;  // gpa >= r.base
  if (into >= r.size) return GuestTranslation::failure(GuestMemoryError::Unmapped);
  if (length > r.size - into) return GuestTranslation::failure(GuestMemoryError::CrossesRegion, index);
  if (access == GuestAccess::Write && r.readOnly) return GuestTranslation::failure(GuestMemoryError::ReadOnly, index);
  return GuestTranslation::success(r.offset + into, index);  // < offset + size <= length_: validated
}

uint8_t* GuestMemoryView::pointer(uint64_t gpa, uint64_t length, GuestAccess access, GuestMemoryError* error) const noexcept {
  GuestTranslation t = translate(gpa, length, access);
  if (error) *error = t.error();
  return t.ok() ? base_ + t.offset() : nullptr;
}

GuestMemoryError GuestMemoryView::read(uint64_t gpa, void* dst, uint64_t length) const noexcept {
  GuestTranslation t = translate(gpa, length, GuestAccess::Read);
  if (t.ok() && length > 0) std::memcpy(dst, base_ + t.offset(), static_cast<size_t>(length));
  return t.error();
}

GuestMemoryError GuestMemoryView::write(uint64_t gpa, const void* src, uint64_t length) const noexcept {
  GuestTranslation t = translate(gpa, length, GuestAccess::Write);
  if (t.ok() && length > 0) std::memcpy(base_ + t.offset(), src, static_cast<size_t>(length));
  return t.error();
}
}  // namespace pvg
