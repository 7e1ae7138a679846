// SoftEngine::saveState() and loadState(): the engine's state to and from engine_state.h's form.
// Both run on the caller's thread while the engine is idle (no record in flight, no executor
// pass, no display job), like holdings(): the executor's state is read and written without its
// serialisation, and the next record or doorbell (a mailbox release, a pool post under its lock)
// publishes what loadState wrote to the engine's threads.
#include <algorithm>
#include <cstring>

#include "engine/soft/soft_engine.h"

namespace pvg::engine {

namespace {

// A frame's pixels through its store (a GPU store reads them back); a store whose device failed
// gives black: its display answers HostRefused from then on anyway.
std::vector<uint32_t> framePixels(FrameStore& frame) {
  std::vector<uint32_t> pixels(size_t{frame.width()} * frame.height());
  const Rect all{0, 0, frame.width(), frame.height()};
  if (pixels.empty() || !frame.prepareReadback({&all, 1}) ||
      !frame.copyRegionTo(reinterpret_cast<uint8_t*>(pixels.data()), pixels.size() * 4, frame.width() * 4, all))
    std::fill(pixels.begin(), pixels.end(), 0u);
  return pixels;
}

// Rows of saved pixels, for a Copy blit into a store.
class SavedRows final : public RowSource {
 public:
  SavedRows(const std::vector<uint32_t>& pixels, uint32_t width) : pixels_(pixels), width_(width) {}
  const uint8_t* row(uint32_t y) override { return reinterpret_cast<const uint8_t*>(pixels_.data() + size_t{y} * width_); }

 private:
  const std::vector<uint32_t>& pixels_;
  uint32_t width_;
};

// The saved pixels (width × height of the store, checked by the decoder) into a resized store.
bool writeFramePixels(FrameStore& frame, const std::vector<uint32_t>& pixels) {
  SavedRows rows(pixels, frame.width());
  if (frame.blit(Rect{0, 0, frame.width(), frame.height()}, BlendMode::Copy, rows, nullptr) != DrawStatus::Ok) return false;
  frame.present();
  return true;
}

}  // namespace
using namespace proto;

std::vector<uint8_t> SoftEngine::saveState() const {
  EngineState s;
  auto& g = s.registers;
  g.errorCode = errorCode_.load();
  g.errorCount = errorCount_.load();
  g.irqStatus = irqStatus_.load();
  g.irqMask = irqMask_.load();
  g.fenceCompleted = fenceCompleted_.load();
  g.ringGpaLo = ringGpaLo_.load();
  g.ringGpaHi = ringGpaHi_.load();
  g.ringSize = ringSize_.load();
  g.doorbellTail = doorbellTail_.load();
  g.ringHead = ringHead_.load();
  g.displaySelect = displaySelect_;
  g.modeSelect = modeSelect_;
  if (ringRunning_) s.ring = EngineState::Ring{true, ringTask_, ringPayload_};
  contexts_.forEachLive([&s](uint32_t n, const ContextTable::Context& c) { s.contexts.push_back(EngineState::Context{n, c.task, c.size}); });
  s.tasks = tasks_.save();
  for (const auto& d : displays_) {
    EngineState::Display& x = s.displays.emplace_back();
    x.mode = d->mode;
    x.generation = d->generation;
    x.frameSeq = d->frameSeq;
    x.drawnSincePresent = d->drawnSincePresent;
    x.cursorVisible = d->cursorVisible;
    x.cursorX = d->cursorX.load();
    x.cursorY = d->cursorY.load();
    x.damage = d->damage.rects();
    if (d->mode >= 0) x.pixels = framePixels(*d->frame);
  }
  if (iosfc_) s.iosfc = iosfc_->save();
  return encodeEngineState(s);
}

bool SoftEngine::atPowerOn() const {
  const EngineHoldings h = holdings();
  if (h.contexts != 0 || h.tasks != 0 || h.ringRunning ||
      (h.ringGpaLo | h.ringGpaHi | h.ringSize | h.doorbellTail | h.ringHead | h.displaySelect | h.modeSelect) != 0)
    return false;
  if ((errorCode_.load() | errorCount_.load() | irqStatus_.load() | irqMask_.load() | fenceCompleted_.load()) != 0) return false;
  for (const auto& d : h.displays) {
    if (d.mode != -1 || d.generation != 0 || d.frameSeq != 0 || d.damageRects != 0 || d.pendingEncodes != 0 || d.cursorVisible || d.cursorX != 0 ||
        d.cursorY != 0 || d.drawnSincePresent)
      return false;
  }
  return !iosfc_ || iosfc_->read(IosfcMapped) == 0;
}

EngineStateError SoftEngine::loadState(std::span<const uint8_t> bytes) {
  EngineStateLimits limits;
  for (const auto& d : displays_) limits.modes.push_back(d->modes);
  limits.iosfc = iosfc_ != nullptr;
  limits.maxContextBytes = config_.maxContextBytes;
  limits.guest = &guest_;
  EngineStateError error;
  std::optional<EngineState> state = decodeEngineState(bytes, limits, &error);
  if (!state) return error;
  if (!atPowerOn()) return EngineStateError{"engine", "not at power-on: a state loads only into a new or powered-on engine"};
  const EngineState& s = *state;

  // The frames first: the only step that can fail (an allocation), so nothing else has changed then.
  for (size_t i = 0; i < displays_.size(); ++i) {
    SoftDisplay& d = *displays_[i];
    if (s.displays[i].mode < 0) continue;
    const DisplayMode& m = d.modes[static_cast<size_t>(s.displays[i].mode)];
    if (!d.frame->resize(m.width, m.height) || !writeFramePixels(*d.frame, s.displays[i].pixels)) {
      for (auto& undo : displays_) undo->frame->release();
      return EngineStateError{"display " + std::to_string(i), "no memory for its frame, or its device failed"};
    }
  }
  const bool tasksLoaded = tasks_.load(s.tasks);
  if (!tasksLoaded || (iosfc_ && !iosfc_->load(*s.iosfc))) {
    // Cannot happen after decodeEngineState's checks (the same guest view); refused all the same.
    if (tasksLoaded) {
      for (const EngineState::Task& t : s.tasks) tasks_.removeTask(t.id);
    }
    for (auto& undo : displays_) undo->frame->release();
    return EngineStateError{"tasks", "a mapping is not in guest memory"};
  }

  const auto& g = s.registers;
  errorCode_.store(g.errorCode);
  errorCount_.store(g.errorCount);
  irqStatus_.store(g.irqStatus);
  irqMask_.store(g.irqMask);
  fenceCompleted_.store(g.fenceCompleted);
  ringGpaLo_.store(g.ringGpaLo);
  ringGpaHi_.store(g.ringGpaHi);
  ringSize_.store(g.ringSize);
  doorbellTail_.store(g.doorbellTail);
  ringHead_.store(g.ringHead);
  displaySelect_ = g.displaySelect;
  modeSelect_ = g.modeSelect;

  ringRunning_ = s.ring.running;
  ringTask_ = s.ring.task;
  attachRingIrqWord();
  ringPayload_ = s.ring.payload;
  ringPayloadBytes_.store(s.ring.payload);
  status_.store(StatusReady | (s.ring.running ? uint32_t{StatusRunning} : 0u));
  for (const EngineState::Context& c : s.contexts) contexts_.add(c.number, ContextTable::Context{c.task, c.size});

  for (size_t i = 0; i < displays_.size(); ++i) {
    SoftDisplay& d = *displays_[i];
    const EngineState::Display& x = s.displays[i];
    d.mode = x.mode;
    d.modeForRegisters.store(x.mode);
    d.generation = x.generation;
    d.frameSeq = x.frameSeq;
    d.drawnSincePresent = x.drawnSincePresent;
    d.cursorVisible = x.cursorVisible;
    d.cursorX.store(x.cursorX);
    d.cursorY.store(x.cursorY);
    d.damage.assign(x.damage);
    // A paced display's refresh grid starts again at the next present, as after SET_MODE.
    if (x.mode >= 0) d.clock.reset(d.paced ? d.modes[static_cast<size_t>(x.mode)].refresh : 0);
  }
  return {};
}
}  // namespace pvg::engine
