// The soft engine's frame: a CPU pixel buffer, plus the rectangle helpers every drawing op uses.
//
// Pixels are u32 ARGB words (0xAARRGGBB). On the little-endian hosts we build for, a word is
// stored as the bytes B, G, R, A: the protocol's 'BGRA' frame format, byte for byte. The stride
// is the width (no row padding), so the frame is one contiguous array of width * height words.
//
// A Frame knows nothing of threads, tasks or guest memory: whoever owns it serialises access.
// Nothing here asserts on a bad argument: it returns false (or an empty rectangle) instead.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace pvg::engine {
static_assert(std::endian::native == std::endian::little, "the frame stores ARGB words as BGRA bytes, which needs a little-endian host");

struct Rect {
  uint32_t x = 0;
  uint32_t y = 0;
  uint32_t w = 0;
  uint32_t h = 0;
  friend bool operator==(const Rect&, const Rect&) = default;
};

// True when the rectangle covers no pixel (w or h is 0).
constexpr bool rectEmpty(Rect r) { return r.w == 0 || r.h == 0; }

// True when [x, x + w) x [y, y + h) lies inside a width x height area. Computed in 64-bit, so
// x = 0xFFFFFFF0, w = 0x20 (which wraps to 0x10 in 32-bit) is outside. An empty rectangle is
// inside when its corner is (x <= width, y <= height), which is what "wholly inside" means for it.
constexpr bool rectInside(Rect r, uint32_t width, uint32_t height) { return uint64_t{r.x} + r.w <= width && uint64_t{r.y} + r.h <= height; }

// The bounding box of two rectangles (for merging damage). An empty rectangle contributes
// nothing; two empty ones give {0, 0, 0, 0}. Computed in 64-bit; an extent that would not fit in
// 32 bits is clamped to 0xFFFFFFFF (cannot happen for rectangles inside a frame).
Rect unite(Rect a, Rect b);

class Frame {
 public:
  static constexpr uint32_t kMaxDimension = 8192;

  Frame() = default;
  Frame(const Frame&) = delete;  // up to 256 MiB: copies must be explicit (copyRegionTo)
  Frame& operator=(const Frame&) = delete;
  Frame(Frame&&) noexcept = default;
  Frame& operator=(Frame&&) noexcept = default;

  // Sets the size. Refuses (returns false, frame unchanged) a width or height of 0 or above
  // kMaxDimension, and an allocation failure. Storage is reallocated only when width * height
  // exceeds the capacity (the largest size so far): going back to an earlier, smaller or equal
  // size never allocates and keeps data(). The pixel contents after a resize are unspecified
  // (but initialised: new storage reads as 0): the caller clears the frame. New storage comes
  // zeroed from calloc, which for a large frame is fresh pages the kernel zeroes as they are
  // first touched: the resize itself costs no pass over the pixels (a 8192x8192 frame's first
  // touch took 1.4 s here), so the clear that follows can be cut into bands (docs/hardening.md,
  // finding 14).
  bool resize(uint32_t width, uint32_t height);

  // Sets every pixel to argb. No-op on an empty frame.
  void clear(uint32_t argb);

  uint32_t width() const { return width_; }
  uint32_t height() const { return height_; }
  bool empty() const { return width_ == 0; }     // never resized (or moved from)
  size_t capacity() const { return capacity_; }  // pixels

  // The first pixel of row y, or nullptr when y >= height(). Rows are width() pixels apart.
  uint32_t* row(uint32_t y) { return y < height_ ? data() + size_t{y} * width_ : nullptr; }
  const uint32_t* row(uint32_t y) const { return y < height_ ? data() + size_t{y} * width_ : nullptr; }
  uint32_t* data() { return storage_.get(); }
  const uint32_t* data() const { return storage_.get(); }
  // The width * height visible pixels (not the spare capacity).
  std::span<const uint32_t> pixels() const { return {storage_.get(), size_t{width_} * height_}; }

  // Readback: copies `region` (BGRA bytes, region.w * 4 per row) to dst, rows dstStrideBytes
  // apart. Returns false, copying nothing, when the frame is empty, the region is not wholly
  // inside it, dst is null (for a non-empty region), dstStrideBytes < region.w * 4, or the last
  // row would end past dstBytes ((h - 1) * stride + w * 4 > dstBytes, in 64-bit). An empty region
  // inside a non-empty frame copies nothing and returns true. dst must not overlap the frame.
  bool copyRegionTo(uint8_t* dst, size_t dstBytes, uint32_t dstStrideBytes, Rect region) const;

 private:
  struct Free {
    void operator()(uint32_t* p) const noexcept;
  };
  std::unique_ptr<uint32_t[], Free> storage_;
  size_t capacity_ = 0;
  uint32_t width_ = 0;
  uint32_t height_ = 0;
};
}  // namespace pvg::engine
