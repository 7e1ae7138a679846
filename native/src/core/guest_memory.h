// Guest memory as native threads see it: a raw pointer to the guest-memory SharedArrayBuffer
// and its region table (built by shared/guest-memory/ and validated again here). translate()
// applies the same rules as the TypeScript side (docs/design.md rule 5) in 64-bit unsigned
// arithmetic: the whole range [gpa, gpa + length) inside ONE region, no wrap-around, read-only
// enforced. Guest-controlled values never assert or abort; they get an error.
//
// Zero-length rule (as in TypeScript): length 0 is checked exactly like a one-byte access at
// gpa, so gpa must name a mapped byte; at a region's end it belongs to an adjacent region if
// one starts there and is Unmapped otherwise.
//
// The view does not own the memory: whoever made it (the addon) keeps the SAB alive while any
// native thread may use it. A view is immutable after creation and safe to share between threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace pvg {
inline constexpr uint64_t kGuestPageSize = 4096;

enum class GuestAccess : uint8_t { Read = 0, Write = 1 };

// Same numbers as GuestMemoryErrno in shared/guest-memory/errors.ts (the JS-only codes for
// non-integer / unsafe / bigint inputs have no native counterpart: a uint64_t is always exact).
enum class GuestMemoryError : int32_t {
  None = 0,
  Overflow = -7,       // gpa + length wraps past 2^64-1
  Unmapped = -8,       // gpa is in no region
  CrossesRegion = -9,  // the range runs past the end of gpa's region
  ReadOnly = -10,      // a write to a read-only region
  BadAccess = -11,     // access is neither Read nor Write
};
// The TypeScript code string for an error ("overflow", "unmapped", ...).
std::string_view guestMemoryErrorName(GuestMemoryError error);

struct GuestRegion {
  uint64_t base = 0;    // guest-physical
  uint64_t size = 0;    // bytes
  uint64_t offset = 0;  // inside the buffer
  bool readOnly = false;
};

// Why a region table was refused.
enum class GuestLayoutError {
  None,
  NullBuffer,  // base pointer is null while regions exist
  NoRegions,
  ZeroSize,
  Misaligned,     // base or size not a multiple of kGuestPageSize, or offsets not sharing one remainder
  RegionWraps,    // base + size wraps past 2^64-1
  OutsideBuffer,  // offset + size beyond the buffer length
  GuestOverlap,   // two regions overlap in guest-physical space
  BufferOverlap,  // two regions overlap inside the buffer
};
struct GuestLayoutCheck {
  GuestLayoutError error = GuestLayoutError::None;
  size_t region = 0;  // index (in the given table) of the offending region
  bool ok() const { return error == GuestLayoutError::None; }
};

// An expected-like result: an offset into the buffer, or an error.
class GuestTranslation {
 public:
  static GuestTranslation success(uint64_t offset, size_t region) { return GuestTranslation(offset, region, GuestMemoryError::None); }
  static GuestTranslation failure(GuestMemoryError error, size_t region = kNoRegion) { return GuestTranslation(0, region, error); }
  bool ok() const { return error_ == GuestMemoryError::None; }
  explicit operator bool() const { return ok(); }
  GuestMemoryError error() const { return error_; }
  // Meaningful only when ok().
  uint64_t offset() const { return offset_; }
  // Index (in the view's region table, sorted by base) of the region gpa fell in: set on
  // success, CrossesRegion and ReadOnly; kNoRegion otherwise.
  size_t region() const { return region_; }
  static constexpr size_t kNoRegion = SIZE_MAX;

 private:
  GuestTranslation(uint64_t offset, size_t region, GuestMemoryError error) : offset_(offset), region_(region), error_(error) {}
  uint64_t offset_;
  size_t region_;
  GuestMemoryError error_;
};

class GuestMemoryView {
 public:
  // Checks a region table against a buffer of `length` bytes.
  static GuestLayoutCheck validate(const uint8_t* base, uint64_t length, std::span<const GuestRegion> regions);
  // A view over [base, base + length), or nullopt (with *why filled) if the table is invalid.
  static std::optional<GuestMemoryView> create(uint8_t* base, uint64_t length, std::span<const GuestRegion> regions, GuestLayoutCheck* why = nullptr);

  GuestTranslation translate(uint64_t gpa, uint64_t length, GuestAccess access) const noexcept;
  // A pointer to [gpa, gpa + length) after translate(); nullptr (and *error set) when refused.
  uint8_t* pointer(uint64_t gpa, uint64_t length, GuestAccess access, GuestMemoryError* error = nullptr) const noexcept;
  // Copies between guest memory and host buffers; nothing is copied when refused.
  GuestMemoryError read(uint64_t gpa, void* dst, uint64_t length) const noexcept;
  GuestMemoryError write(uint64_t gpa, const void* src, uint64_t length) const noexcept;

  // Regions sorted by guest-physical base.
  std::span<const GuestRegion> regions() const { return regions_; }
  uint64_t length() const { return length_; }

 private:
  GuestMemoryView(uint8_t* base, uint64_t length, std::vector<GuestRegion> sorted) : base_(base), length_(length), regions_(std::move(sorted)) {}
  uint8_t* base_;
  uint64_t length_;
  std::vector<GuestRegion> regions_;
};
}  // namespace pvg
