// An encode's copy of the damage into a guest-visible surface (docs/architecture.md, "Frame
// readback"): at once on the ring executor (encodeInto: the soft store, or a GPU store's waited
// readback), or in two halves for a store with an asynchronous readback (docs/vulkan.md): the
// executor starts the GPU's copy into host memory (beginEncode) and goes on with the ring; the
// store's completion thread, once the copy's fence signalled, copies it into the surface and
// answers (finishEncode). Either way a display's encodes are answered in the order they came,
// each with the generation and frame number it was served at.
#include <algorithm>

#include "abi/engine_records.h"
#include "abi/surface_layout.h"
#include "core/tsan_edges.h"
#include "engine/soft/soft_engine.h"

namespace pvg::engine {
using namespace proto;

// What an asynchronous encode's completion needs, taken on the executor when it began: the
// display's state then (a later mode change first waits for the completion, frame_store.h).
struct SoftEngine::InFlightEncode {
  EncodeRequest request;
  std::vector<Rect> clips;
  uint32_t generation = 0, frameSeq = 0;
};

namespace {
// Copies `clips` from the store into the surface at `base` and writes its header; the number of
// damage rectangles written. In bands, asking `stop` between them: false, stopped part way
// (nothing in the header written).
template <typename Stop>
bool copyIntoSurface(const FrameStore& frame, uint8_t* base, uint64_t surfaceBytes, std::span<const Rect> clips, uint32_t generation, uint32_t frameSeq,
                     uint32_t* damageOut, Stop stop) {
  auto* header = reinterpret_cast<uint32_t*>(base);
  const uint32_t stride = frame.width() * 4;
  const uint64_t pixelBytes = surfaceBytes - surface::kHeaderBytes;
  uint8_t* pixels = base + surface::kHeaderBytes;
  // The compositor read this surface's pixels natively (copyPixelRect) before it asked for this
  // encode, through the engine's mailbox: JavaScript Atomics, an edge TSan cannot see.
  tsan::acquire(pixels);
  uint32_t damageCount = 0;
  for (const Rect& clip : clips) {
    // In bands of rows, so a control or the engine's stop waits for one band, not a whole frame
    // (a 8192x8192 frame into surface pages touched for the first time took over a second here).
    const uint32_t band = rowsPerBand(clip.w);
    for (uint32_t row = 0; row < clip.h; row += band) {
      if (stop()) return false;
      const Rect part{clip.x, clip.y + row, clip.w, std::min(band, clip.h - row)};
      const uint64_t at = uint64_t{part.y} * stride + uint64_t{part.x} * 4;
      frame.copyRegionTo(pixels + at, pixelBytes - at, stride, part);
    }
    if (damageCount < surface::kMaxDamage) {
      uint32_t* out = header + surface::kDamageWord + damageCount * 4;
      out[0] = clip.x;
      out[1] = clip.y;
      out[2] = clip.w;
      out[3] = clip.h;
      ++damageCount;
    }
  }
  header[surface::kGenerationWord] = generation;
  header[surface::kWidthWord] = frame.width();
  header[surface::kHeightWord] = frame.height();
  header[surface::kStrideWord] = stride;
  header[surface::kFrameSeqWord] = frameSeq;
  header[surface::kDamageCountWord] = damageCount;
  *damageOut = damageCount;
  tsan::release(pixels);  // the compositor's copy, after the answer (pixel_rect.cpp)
  return true;
}
}  // namespace

std::vector<Rect> SoftEngine::damageClips(const SoftDisplay& d, Rect region) {
  std::vector<Rect> clips;
  for (const Rect& r : d.damage.rects()) {
    const uint32_t x0 = std::max(r.x, region.x), y0 = std::max(r.y, region.y);
    const uint32_t x1 = std::min(r.x + r.w, region.x + region.w);
    const uint32_t y1 = std::min(r.y + r.h, region.y + region.h);
    if (x1 > x0 && y1 > y0) clips.push_back(Rect{x0, y0, x1 - x0, y1 - y0});
  }
  return clips;
}

bool SoftEngine::encodeInto(SoftDisplay& d, const EncodeRequest& req, uint32_t* damageOut) {
  const std::vector<Rect> clips = damageClips(d, req.region);
  // A GPU store copies them into host-visible memory first, all at once, and waits for the copy.
  if (!d.frame->prepareReadback(clips)) {
    deviceFault(*d.frame);
    return false;
  }
  uint8_t* base = d.surfaces.base + d.surfaces.surfaceBytes() * req.surface;
  if (!copyIntoSurface(*d.frame, base, d.surfaces.surfaceBytes(), clips, d.generation, d.frameSeq, damageOut, [this] { return preempted(); })) return false;
  d.damage.clear();
  return true;
}

bool SoftEngine::beginEncode(uint32_t display, SoftDisplay& d, const EncodeRequest& req, std::vector<Rect> clips, double start) {
  auto encode = std::make_shared<InFlightEncode>();
  encode->request = req;
  encode->generation = d.generation;
  encode->frameSeq = d.frameSeq;
  encode->clips = std::move(clips);
  // In flight before it starts: the completion may run before beginReadback returns.
  {
    std::lock_guard lock(d.encodeMutex);
    d.encodeInFlight = true;
  }
  readbacksInFlight_.fetch_add(1);
  if (!d.frame->beginReadback(std::span<const Rect>(encode->clips), [this, display, encode](bool ok) { finishEncode(display, *encode, ok); })) {
    {
      std::lock_guard lock(d.encodeMutex);
      d.encodeInFlight = false;
    }
    readbacksInFlight_.fetch_sub(1);
    return false;
  }
  {
    // Only this thread removes requests: the front is still this one.
    std::lock_guard lock(d.encodeMutex);
    d.encodes.erase(d.encodes.begin());
  }
  d.damage.clear();  // on its way to the surface: what is drawn from now on is the next encode's
  tracer_.span(trace::Event::engine_encode, start, display, rec::EncodeOk, static_cast<double>(encode->clips.size()));
  return true;
}

void SoftEngine::finishEncode(uint32_t display, const InFlightEncode& encode, bool ok) {
  SoftDisplay& d = *displays_[display];
  const double start = tracer_.enabled() ? EngineTracer::now() : 0;
  uint32_t status = rec::EncodeOk, damageCount = 0;
  if (!ok) {
    deviceFault(*d.frame);
    status = rec::EncodeBadRequest;  // as the soft path answers a failed readback
  }
  // The engine stopping: dropped unanswered (nobody reads the surface or the answer any more).
  if (!stopped_.load()) {
    if (ok) {
      uint8_t* base = d.surfaces.base + d.surfaces.surfaceBytes() * encode.request.surface;
      copyIntoSurface(*d.frame, base, d.surfaces.surfaceBytes(), encode.clips, encode.generation, encode.frameSeq, &damageCount, [] { return false; });
    }
    counters_.encodes.fetch_add(1, std::memory_order_relaxed);
    tracer_.span(trace::Event::encode_complete, start, display, status, damageCount);
    host_.encodeDone(display, encode.request.surface, encode.request.generation, status, encode.frameSeq, damageCount);
  }
  {
    std::lock_guard lock(d.encodeMutex);
    d.encodeInFlight = false;
  }
  // The requests queued behind it are work again for the executor (executorJob's check), and
  // scheduled before this one stops counting, so activity() never reads idle in between.
  encodeRequests_.fetch_add(1);
  scheduleExecutor();
  readbacksInFlight_.fetch_sub(1);
}
}  // namespace pvg::engine
