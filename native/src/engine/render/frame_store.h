// Where a display's pixels live and how drawing reaches them: the seam between the engine's
// command handling (parsing, validation, ordering, damage, encodes; all shared) and the pixel
// work, which a backend does its own way (soft: a CPU Frame; vulkan: a device-local buffer on a
// GPU, engine/vulkan/). The engine calls it from its ring executor only (one job at a time), so
// an implementation needs no lock of its own for the frame.
//
// Every operation keeps draw.h's contract (checks in the order NoFrame, BadMode, OutsideFrame;
// SourceFault leaves the rows before the bad one drawn). A GPU store never answers Interrupted
// (its commands are not cut into bands) and may answer DeviceFault: the device failed (lost, out
// of memory); fault() then says which, and every later operation answers DeviceFault too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "abi/binding_strings.h"
#include "engine/render/draw.h"
#include "engine/render/frame.h"

namespace pvg::engine {

// Why a store stopped working (kept once set); strings::name spells it for the engine's stats
// (abi/schema/binding-strings.ts).
using StoreFault = strings::StoreFault;

class FrameStore {
 public:
  virtual ~FrameStore() = default;
  // Frame::resize's contract: false (store unchanged) for a size of 0 or above kMaxDimension or
  // an allocation failure; contents unspecified afterwards (the caller clears).
  virtual bool resize(uint32_t width, uint32_t height) = 0;
  // Frees the pixels: back to a never-resized store.
  virtual void release() = 0;
  virtual uint32_t width() const = 0;
  virtual uint32_t height() const = 0;
  bool empty() const { return width() == 0; }
  virtual size_t capacity() const = 0;  // pixels held

  virtual DrawStatus fill(Rect r, uint32_t argb, const DrawInterrupt* interrupt) = 0;
  virtual DrawStatus copy(uint32_t sx, uint32_t sy, Rect dst, const DrawInterrupt* interrupt) = 0;
  virtual DrawStatus blit(Rect dst, BlendMode mode, RowSource& source, const DrawInterrupt* interrupt) = 0;

  // A present: the drawing so far goes to the device (a GPU store submits its commands).
  virtual void present() {}
  // Readback in two steps: prepare makes the regions (all inside the frame) readable on the host
  // (a GPU store copies them into host-visible memory and waits for the copy's fence); then
  // copyRegionTo reads any part of them, with Frame::copyRegionTo's contract. False from
  // prepare: the device failed (fault() says how); nothing is readable.
  virtual bool prepareReadback(std::span<const Rect> regions) { return true; }
  virtual bool copyRegionTo(uint8_t* dst, size_t dstBytes, uint32_t dstStrideBytes, Rect region) const = 0;
  virtual StoreFault fault() const { return StoreFault::None; }

  // Asynchronous readback (a GPU store; the soft store reads its frame directly and has none):
  // beginReadback starts copying the regions (all inside the frame, at least one) into host
  // memory and returns at once; `done(ok)` runs later on the store's completion thread, once they
  // are readable there through copyRegionTo (ok), or the device failed (!ok; fault() says how).
  // At most one is in flight: resize, release, prepareReadback, another beginReadback and the
  // destructor first wait (settleReadback) until `done` has returned, so the frame and the
  // host-visible copy never change under it. The caller may draw meanwhile (that is the point:
  // the GPU copies while the ring executor carries on). False: nothing started, `done` is not
  // called (a store without one, or a faulted device).
  using ReadbackDone = std::function<void(bool ok)>;
  virtual bool asyncReadback() const { return false; }
  virtual bool beginReadback(std::span<const Rect> regions, ReadbackDone done) { return false; }
  // Waits until the readback in flight (if any) has called `done` and it returned. Bounded: the
  // store treats a fence not signalled in its limit as a lost device.
  virtual void settleReadback() {}
};

// The soft backend's store: a Frame and the draw.h functions.
class SoftFrameStore final : public FrameStore {
 public:
  bool resize(uint32_t width, uint32_t height) override { return frame_.resize(width, height); }
  void release() override { frame_ = Frame{}; }
  uint32_t width() const override { return frame_.width(); }
  uint32_t height() const override { return frame_.height(); }
  size_t capacity() const override { return frame_.capacity(); }
  DrawStatus fill(Rect r, uint32_t argb, const DrawInterrupt* interrupt) override { return fillRect(frame_, r, argb, interrupt); }
  DrawStatus copy(uint32_t sx, uint32_t sy, Rect dst, const DrawInterrupt* interrupt) override { return copyRect(frame_, sx, sy, dst, interrupt); }
  DrawStatus blit(Rect dst, BlendMode mode, RowSource& source, const DrawInterrupt* interrupt) override {
    return pvg::engine::blit(frame_, dst, mode, source, interrupt);
  }
  bool copyRegionTo(uint8_t* dst, size_t dstBytes, uint32_t dstStrideBytes, Rect region) const override {
    return frame_.copyRegionTo(dst, dstBytes, dstStrideBytes, region);
  }

 private:
  Frame frame_;
};
}  // namespace pvg::engine
