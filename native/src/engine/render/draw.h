// The soft engine's drawing operations on a Frame: fill, copy inside the frame, and blit from a
// caller-supplied source. Pure, single-threaded functions: the caller serialises access to the
// frame and supplies the source pixels (it owns guest memory, tasks and their checks).
//
// Guest drawing clips nothing (docs/protocol.md §3): a rectangle not wholly inside the frame is
// refused with OutsideFrame and nothing is drawn. Every function validates its arguments and
// returns a DrawStatus; none asserts, and none reads or writes outside the frame. Checks run in
// this order: NoFrame (the frame was never sized), BadMode, OutsideFrame. A rectangle that is
// inside but empty (w or h 0) draws nothing and returns Ok (a blit then reads no source row).
//
// Long operations can be cut short: fillRect, copyRect and blit take an optional DrawInterrupt,
// asked before each band of rows (kBandPixels pixels, at least one row). When it answers true the
// operation stops there and returns Interrupted; the bands already drawn stay drawn, and no row is
// ever left half-written. Without one they run to the end.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/render/frame.h"

namespace pvg::engine {

enum class DrawStatus : uint8_t {
  Ok = 0,
  OutsideFrame,  // a rectangle (destination or copy source) not wholly inside the frame
  NoFrame,       // the frame has size 0 (never resized: drawing before the first SET_MODE)
  SourceFault,   // a blit's RowSource could not supply a row
  BadMode,       // a BlendMode value that is neither Copy nor SourceOver (a bad cast)
  Interrupted,   // the DrawInterrupt asked to stop: only the first bands of rows were drawn
  DeviceFault,   // a GPU store's device failed (frame_store.h); the CPU functions never answer it
};
std::string_view drawStatusName(DrawStatus status);

enum class BlendMode : uint8_t {
  Copy = 0,        // the source replaces the destination, alpha included
  SourceOver = 1,  // straight-alpha source-over, exact integer rounding: see blend.h
};

// Asked between bands of rows: true stops the operation there (the engine sets it when a reset,
// a ring stop or its own shutdown should not wait for the rest of the command: docs/hardening.md,
// finding 14). Called from the drawing thread only; what it reads is its own business (atomics).
class DrawInterrupt {
 public:
  virtual bool requested() const = 0;

 protected:
  ~DrawInterrupt() = default;
};

// Pixels per band between two DrawInterrupt checks (1 MiB of frame): a few hundred microseconds of
// the slowest operation (source-over blending) on one core. A band is whole rows: rowsPerBand(w)
// rows of w pixels, at least one.
inline constexpr uint32_t kBandPixels = 1u << 18;
constexpr uint32_t rowsPerBand(uint32_t width) { return width >= kBandPixels ? 1u : kBandPixels / (width == 0 ? 1u : width); }

// Sets every pixel of r to argb as given (a replace, no blending: the protocol's "opaque fill"
// means nothing shows through; a caller that wants A forced to 0xFF passes it so).
DrawStatus fillRect(Frame& frame, Rect r, uint32_t argb, const DrawInterrupt* interrupt = nullptr);

// Copies the dst.w x dst.h pixels at (sx, sy) to dst. Both rectangles must be wholly inside the
// frame. Overlapping rectangles behave like memmove: the result is as if the source were first
// copied to a temporary buffer. Cut short (Interrupted), the rows moved so far are whole bands at
// the copy's leading edge (the bottom rows first when it moves down), so no source row was
// overwritten before it was read.
DrawStatus copyRect(Frame& frame, uint32_t sx, uint32_t sy, Rect dst, const DrawInterrupt* interrupt = nullptr);

// Where a blit reads its pixels. row(y) returns a pointer to dst.w * 4 bytes: the ARGB8888
// pixels of source row y (little-endian words, i.e. B, G, R, A bytes), or nullptr when that row
// cannot be read (unmapped, out of range...). The pointer may be unaligned. It must stay valid
// until the next row() call, and must not point into the destination frame (use copyRect).
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual const uint8_t* row(uint32_t y) = 0;
};

// Draws dst.h rows from `source` into dst, calling source.row(y) exactly once per row, for
// y = 0, 1, ... dst.h - 1 in order. If row(y) returns nullptr the blit stops there and returns
// SourceFault: rows 0 .. y-1 are already drawn and STAY drawn (a partial blit; the frame is never
// left with a half-written row). Nothing is drawn, and the source is never called, when the
// arguments are refused. Interrupted, it has read and drawn rows 0 .. k-1 for some whole number
// of bands k, and never calls row(k).
DrawStatus blit(Frame& frame, Rect dst, BlendMode mode, RowSource& source, const DrawInterrupt* interrupt = nullptr);

// A RowSource over one contiguous buffer: row y starts at base + y * strideBytes and is
// rowPixels * 4 bytes long. Every row is bounds-checked against `bytes` in overflow-safe 64-bit
// arithmetic: a row that would run past the end (or a null base) gives nullptr. Any stride is
// accepted (0 repeats the first row; a stride below rowPixels * 4 overlaps rows, which is
// harmless for reading): the protocol's stride rules are the command decoder's to enforce.
// rowPixels must be the blit's dst.w.
class ContiguousRows final : public RowSource {
 public:
  ContiguousRows(const uint8_t* base, size_t bytes, uint32_t strideBytes, uint32_t rowPixels)
      : base_(base), bytes_(bytes), stride_(strideBytes), rowBytes_(uint64_t{rowPixels} * 4) {}
  const uint8_t* row(uint32_t y) override;

 private:
  const uint8_t* base_;
  size_t bytes_;
  uint32_t stride_;
  uint64_t rowBytes_;
};

}  // namespace pvg::engine
