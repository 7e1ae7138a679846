#include "engine/render/draw.h"

#include <algorithm>
#include <cstring>

#include "engine/render/blend.h"
#include "engine/render/pixel_fill.h"

namespace pvg::engine {

std::string_view drawStatusName(DrawStatus status) {
  switch (status) {
    case DrawStatus::Ok:
      return "ok";
    case DrawStatus::OutsideFrame:
      return "outside-frame";
    case DrawStatus::NoFrame:
      return "no-frame";
    case DrawStatus::SourceFault:
      return "source-fault";
    case DrawStatus::BadMode:
      return "bad-mode";
    case DrawStatus::Interrupted:
      return "interrupted";
    case DrawStatus::DeviceFault:
      return "device-fault";
  }
  return "unknown";
}

namespace {
bool interrupted(const DrawInterrupt* interrupt) { return interrupt != nullptr && interrupt->requested(); }
}  // namespace

DrawStatus fillRect(Frame& frame, Rect r, uint32_t argb, const DrawInterrupt* interrupt) {
  if (frame.empty()) return DrawStatus::NoFrame;
  const uint32_t fw = frame.width();
  if (!rectInside(r, fw, frame.height())) return DrawStatus::OutsideFrame;
  if (rectEmpty(r)) return DrawStatus::Ok;
  const uint32_t band = rowsPerBand(r.w);
  for (uint32_t y0 = 0; y0 < r.h; y0 += band) {
    if (interrupted(interrupt)) return DrawStatus::Interrupted;
    const uint32_t rows = std::min(band, r.h - y0);
    uint32_t* p = frame.data() + size_t{r.y + y0} * fw + r.x;
    if (r.w == fw) {  // whole rows: one contiguous run
      fillPixels(p, size_t{r.w} * rows, argb);
      continue;
    }
    for (uint32_t y = 0; y < rows; ++y, p += fw) fillPixels(p, r.w, argb);
  }
  return DrawStatus::Ok;
}

DrawStatus copyRect(Frame& frame, uint32_t sx, uint32_t sy, Rect dst, const DrawInterrupt* interrupt) {
  if (frame.empty()) return DrawStatus::NoFrame;
  const uint32_t fw = frame.width();
  const uint32_t fh = frame.height();
  if (!rectInside(dst, fw, fh) || !rectInside(Rect{sx, sy, dst.w, dst.h}, fw, fh)) return DrawStatus::OutsideFrame;
  if (rectEmpty(dst) || (sx == dst.x && sy == dst.y)) return DrawStatus::Ok;
  uint32_t* base = frame.data();
  const size_t rowBytes = size_t{dst.w} * 4;
  const uint32_t band = rowsPerBand(dst.w);
  // Rows: when the destination is below the source, walk bottom-up so no source row is
  // overwritten before it is read; otherwise top-down. Within a row memmove handles the
  // horizontal overlap (including the same row). Bands keep that order, so a copy cut short
  // between two bands has overwritten no row it had still to read.
  const bool upwards = dst.y > sy;
  for (uint32_t done = 0; done < dst.h;) {
    if (interrupted(interrupt)) return DrawStatus::Interrupted;
    const uint32_t end = done + std::min(band, dst.h - done);
    for (; done < end; ++done) {
      const uint32_t i = upwards ? dst.h - 1 - done : done;
      std::memmove(base + size_t{dst.y + i} * fw + dst.x, base + size_t{sy + i} * fw + sx, rowBytes);
    }
  }
  return DrawStatus::Ok;
}

DrawStatus blit(Frame& frame, Rect dst, BlendMode mode, RowSource& source, const DrawInterrupt* interrupt) {
  if (frame.empty()) return DrawStatus::NoFrame;
  if (mode != BlendMode::Copy && mode != BlendMode::SourceOver) return DrawStatus::BadMode;
  const uint32_t fw = frame.width();
  if (!rectInside(dst, fw, frame.height())) return DrawStatus::OutsideFrame;
  if (rectEmpty(dst)) return DrawStatus::Ok;
  uint32_t* p = frame.data() + size_t{dst.y} * fw + dst.x;
  const size_t rowBytes = size_t{dst.w} * 4;
  const uint32_t band = rowsPerBand(dst.w);
  for (uint32_t y = 0; y < dst.h;) {
    if (interrupted(interrupt)) return DrawStatus::Interrupted;
    const uint32_t end = y + std::min(band, dst.h - y);
    if (mode == BlendMode::Copy) {
      for (; y < end; ++y, p += fw) {
        const uint8_t* s = source.row(y);
        if (s == nullptr) return DrawStatus::SourceFault;
        std::memcpy(p, s, rowBytes);
      }
    } else {
      for (; y < end; ++y, p += fw) {
        const uint8_t* s = source.row(y);
        if (s == nullptr) return DrawStatus::SourceFault;
        blendRowOver(p, s, dst.w);
      }
    }
  }
  return DrawStatus::Ok;
}

const uint8_t* ContiguousRows::row(uint32_t y) {
  if (base_ == nullptr) return nullptr;
  // y * stride < 2^64 always; checking offset first keeps offset + rowBytes from wrapping.
  const uint64_t offset = uint64_t{y} * stride_;
  if (offset > bytes_ || rowBytes_ > bytes_ - offset) return nullptr;
  return base_ + offset;
}

}  // namespace pvg::engine
