// One display of the soft engine: its modes, its frame, its cursor and the damage since the
// last encode. The frame, mode and damage are touched only by the ring executor (one job at a
// time), so they need no lock; the cursor position is readable from any thread.
#pragma once
#include <atomic>
#include <memory>
#include <cstdint>
#include <mutex>
#include <vector>

#include "engine/contract.h"
#include "engine/render/frame.h"
#include "engine/render/frame_store.h"
#include "engine/soft/frame_clock.h"

namespace pvg::engine {
struct DisplayMode {
  uint32_t width = 0, height = 0, refresh = 0;
};

struct SurfacePool {
  uint8_t* base = nullptr;
  uint64_t bytes = 0;
  uint32_t count = 0;
  uint64_t surfaceBytes() const { return count == 0 ? 0 : bytes / count; }
};

struct EncodeRequest {
  uint32_t surface = 0, generation = 0;
  Rect region;
};

// Damage rectangles since the last encode; beyond the limit the two pieces whose union wastes
// the least area merge (display.cpp), so lagging encodes copy about what changed.
class Damage {
 public:
  void add(Rect r);
  void all(uint32_t w, uint32_t h) { rects_.assign(1, Rect{0, 0, w, h}); }
  void clear() { rects_.clear(); }
  // A saved damage list as it was (engine_state.h checked it: at most the limit, inside the frame).
  void assign(const std::vector<Rect>& rects) { rects_ = rects; }
  const std::vector<Rect>& rects() const { return rects_; }

 private:
  std::vector<Rect> rects_;
};

struct SoftDisplay {
  uint32_t port = 0, serial = 0;
  std::vector<DisplayMode> modes;
  SurfacePool surfaces;
  // Presents wait for the display's next refresh tick (a vsync'd display): at most one frame a
  // refresh, at the mode's rate (docs/fidelity.md).
  bool paced = false;
  // Every present damages the whole frame, whatever rectangles it names, so every encode reads
  // back the whole frame: PVG's new-frame handler carries no damage (docs/fidelity.md).
  bool wholeFrameReadback = false;

  // Ring-executor state. The pixels: a CPU Frame (soft) or a GPU buffer (vulkan), frame_store.h.
  std::unique_ptr<FrameStore> frame;
  int32_t mode = -1;
  uint32_t generation = 0;
  uint32_t frameSeq = 0;
  Damage damage;
  // Drawn since the last PRESENT: an encode now could capture a half-drawn frame, so encodes
  // wait for the next present (or are answered at once when their mode is stale).
  bool drawnSincePresent = false;
  bool cursorVisible = false;
  FrameClock clock;  // restarted by every SET_MODE (the refresh is the mode's)

  std::atomic<int32_t> cursorX{0}, cursorY{0};
  std::atomic<int32_t> modeForRegisters{-1};

  // Encode requests from the dispatcher, served by the ring executor at a present boundary.
  std::mutex encodeMutex;
  std::vector<EncodeRequest> encodes;
  // One whose readback runs asynchronously (a GPU store): taken out of `encodes`, answered by the
  // store's completion thread. The requests behind it wait for its answer, so a display's answers
  // keep their order.
  bool encodeInFlight = false;
};
}  // namespace pvg::engine
