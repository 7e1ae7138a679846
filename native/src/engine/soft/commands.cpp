// Ring command processing (the ring executor): fetch each command out of guest memory through
// the ring task's mapping, check every field, execute, advance the head. A bad command sets the
// guest-visible error, is counted, and processing goes on with the next one.
#include <algorithm>
#include <cstring>
#include <memory>

#include "engine/render/cursor_glyph.h"
#include "engine/render/draw.h"
#include "engine/soft/soft_engine.h"

namespace pvg::engine {
using namespace proto;

namespace {
uint64_t u64(const uint32_t* w) { return w[0] | (uint64_t{w[1]} << 32); }

// Source rows of a BLIT read through a context's mappings; a row that straddles two mappings is
// gathered into a bounce buffer.
class TaskRows final : public RowSource {
 public:
  TaskRows(const TaskMemory& tasks, uint32_t task, uint64_t va, uint32_t stride, uint32_t width, std::vector<uint8_t>& bounce)
      : tasks_(tasks), task_(task), va_(va), stride_(stride), rowBytes_(uint64_t{width} * 4), bounce_(bounce) {}
  const uint8_t* row(uint32_t y) override {
    const uint64_t offset = uint64_t{y} * stride_;
    const uint64_t at = va_ + offset;
    if (at < va_) return nullptr;
    if (const uint8_t* p = tasks_.pointer(task_, at, rowBytes_, TaskAccess::Read)) return p;
    if (rowBytes_ > bounce_.size() || !tasks_.read(task_, at, bounce_.data(), rowBytes_)) return nullptr;
    return bounce_.data();
  }

 private:
  const TaskMemory& tasks_;
  uint32_t task_;
  uint64_t va_;
  uint32_t stride_;
  uint64_t rowBytes_;
  std::vector<uint8_t>& bounce_;
};

// Display-queue jobs: the only place display handlers run.
struct DisplayJobs {
  static void newFrame(void* e, const std::array<uint64_t, 4>& a) { host(e).newFrame(static_cast<uint32_t>(a[0]), static_cast<uint32_t>(a[1])); }
  static void modeChange(void* e, const std::array<uint64_t, 4>& a) {
    host(e).modeChange(static_cast<uint32_t>(a[0]), static_cast<uint32_t>(a[1] >> 32), static_cast<uint32_t>(a[1]), kPixelFormatBGRA,
                       static_cast<uint32_t>(a[2]), static_cast<uint32_t>(a[3]));
  }
  static void cursorGlyph(void* e, const std::array<uint64_t, 4>& a) {
    std::unique_ptr<CursorGlyph> glyph(reinterpret_cast<CursorGlyph*>(a[1]));
    host(e).cursorGlyph(static_cast<uint32_t>(a[0]), glyph->argb, glyph->w, glyph->h, glyph->hotX, glyph->hotY);
  }
  static void cursorShow(void* e, const std::array<uint64_t, 4>& a) { host(e).cursorShow(static_cast<uint32_t>(a[0]), a[1] != 0); }
  static void cursorMove(void* e, const std::array<uint64_t, 4>& a) {
    host(e).cursorMove(static_cast<uint32_t>(a[0]), static_cast<int32_t>(a[1]), static_cast<int32_t>(a[2]));
  }
  static HostCallbacks& host(void* e);
};
}  // namespace

// Grants the display jobs access to the engine's host without widening SoftEngine's interface.
class CommandProcessor {
 public:
  static HostCallbacks& host(SoftEngine& e) { return e.host_; }
  static void run(SoftEngine& e, uint16_t op, const uint32_t* a, uint32_t n);
  // A task command (TaskBatch::isTaskOp), on any lane worker: touches only its own context's
  // entry, and returns its error instead of reporting it (the executor reports it in ring order).
  static Error runTask(SoftEngine& e, uint16_t op, const uint32_t* a, uint32_t n);
  static ContextTable::Context* context(SoftEngine& e, uint32_t ctx) { return e.contexts_.find(ctx); }
};

HostCallbacks& DisplayJobs::host(void* e) { return CommandProcessor::host(*static_cast<SoftEngine*>(e)); }

void SoftEngine::processCommands() {
  const uint32_t tail = doorbellTail_.load();
  if (tail >= ringPayload_ || (tail & 3) != 0) {
    // Ignore the bad doorbell; the next one may be good. Only if none came meanwhile: a plain
    // store here could overwrite a good tail the dispatcher stored after the load above (its
    // scheduleExecutor() saw this pass running and posted nothing), and that doorbell was lost.
    uint32_t bad = tail;
    doorbellTail_.compare_exchange_strong(bad, ringHead_.load());
    return guestError(Error::BadCommand);
  }
  uint32_t head = ringHead_.load();
  bool worked = false;
  while (ringRunning_ && head != tail) {
    // A control waits (ring stop, reset) or the engine stops: leave the rest of the ring for
    // later (or for nobody) instead of making them wait for it. A ring of valid full-frame blits
    // used to hold a RESET, every MMIO access queued behind it and the engine's stop for the
    // whole ring: 36 s and more (docs/hardening.md, finding 14).
    if (preempted()) break;
    uint32_t header = 0;
    Error error = Error::None;
    if (!fetchCommand(head, tail, &header, command_.data(), &error)) {
      guestError(error);
      head = tail;  // the stream can't be resynchronised: drop what is left of it
      break;
    }
    const auto op = static_cast<uint16_t>(header & 0xFFFF);
    const uint32_t words = header >> 16;
    if (TaskBatch::isTaskOp(op)) {
      runTaskBatch(&head, tail, header);
    } else {
      counters_.commands.fetch_add(1, std::memory_order_relaxed);
      const double start = tracer_.enabled() ? EngineTracer::now() : 0;
      CommandProcessor::run(*this, op, command_.data(), words - 1);
      tracer_.span(trace::Event::engine_command, start, op, words);
      head = (head + words * 4) % ringPayload_;
    }
    ringHead_.store(head);
    tasks_.write(ringTask_, kRingHeaderHead, &head, 4);
    worked = true;
  }
  if (head != ringHead_.load()) {
    ringHead_.store(head);
    tasks_.write(ringTask_, kRingHeaderHead, &head, 4);
  }
  // Idle only if the ring really is drained (not when preempted with commands left).
  if (worked && head == tail) raiseCause(IrqRingIdle);
}

bool SoftEngine::fetchCommand(uint32_t at, uint32_t tail, uint32_t* header, uint32_t* args, Error* error) {
  const uint32_t available = (tail + ringPayload_ - at) % ringPayload_;  // bytes
  if (!tasks_.read(ringTask_, kRingHeaderBytes + at, header, 4)) {
    *error = Error::AccessFault;
    return false;
  }
  const uint32_t words = *header >> 16;
  if (words == 0 || words > kMaxCommandWords || uint64_t{words} * 4 > available) {
    *error = Error::BadCommand;
    return false;
  }
  // Copy the whole command out once, so the guest cannot change it after it was checked. It may
  // wrap at the payload's end.
  const uint32_t argBytes = words * 4 - 4;
  const uint32_t start = (at + 4) % ringPayload_;
  const uint32_t first = std::min(argBytes, ringPayload_ - start);
  if ((first != 0 && !tasks_.read(ringTask_, kRingHeaderBytes + start, args, first)) ||
      (first < argBytes && !tasks_.read(ringTask_, kRingHeaderBytes, reinterpret_cast<uint8_t*>(args) + first, argBytes - first))) {
    *error = Error::AccessFault;
    return false;
  }
  return true;
}

void SoftEngine::runTaskBatch(uint32_t* head, uint32_t tail, uint32_t header) {
  TaskBatch& b = batch_;
  // The first command is in command_ already; gather the task commands after it. One that cannot
  // be read or is not a task command ends the batch: the main loop takes it (and its error) next.
  uint32_t words = header >> 16;
  std::memcpy(b.slot(), command_.data(), (words - 1) * 4);
  b.add(static_cast<uint16_t>(header & 0xFFFF), words - 1, words * 4);
  for (uint32_t at = (*head + words * 4) % ringPayload_; !b.full() && at != tail; at = (at + words * 4) % ringPayload_) {
    uint32_t next = 0;
    Error ignored = Error::None;
    if (!fetchCommand(at, tail, &next, b.slot(), &ignored) || !TaskBatch::isTaskOp(static_cast<uint16_t>(next & 0xFFFF))) break;
    words = next >> 16;
    b.add(static_cast<uint16_t>(next & 0xFFFF), words - 1, words * 4);
  }

  // Lanes at once: the executor works too, helped by up to one pool thread per other lane. It
  // waits for its helpers, which wait for nobody but the host's answers (docs/design.md, rule 3).
  b.open();
  if (b.lanes() > 1) {
    const unsigned helpers = std::min(b.lanes() - 1, pool_.threads() - 1);
    {
      std::lock_guard lock(batchMutex_);
      helpersLive_ = helpers;
    }
    for (unsigned i = 0; i < helpers; ++i) {
      if (!pool_.post(Job{&SoftEngine::laneHelperJob, this, {}})) {
        std::lock_guard lock(batchMutex_);
        --helpersLive_;
      }
    }
  }
  workLanes();
  {
    std::unique_lock lock(batchMutex_);
    batchDone_.wait(lock, [this] { return helpersLive_ == 0; });
  }

  // Commit in ring order: every error of a command that ran, as if the ring had run one command
  // at a time; the head moves past the commands that ran before the first that did not (a ring
  // stop, reset or the engine's stop cut its lane short).
  bool prefix = true;
  for (uint32_t i = 0; i < b.size(); ++i) {
    const TaskBatch::Command& c = b.command(i);
    if (!c.ran) {
      prefix = false;
      continue;
    }
    if (c.error != Error::None) guestError(c.error);
    if (prefix) *head = (*head + c.ringBytes) % ringPayload_;
  }
  b.clear();
}

void SoftEngine::laneHelperJob(void* self, const std::array<uint64_t, 4>&) {
  auto* e = static_cast<SoftEngine*>(self);
  e->workLanes();
  std::lock_guard lock(e->batchMutex_);
  --e->helpersLive_;
  e->batchDone_.notify_all();
}

void SoftEngine::workLanes() {
  for (uint32_t lane = batch_.claimLane(); lane != TaskBatch::kNone; lane = batch_.claimLane()) {
    for (uint32_t i = batch_.laneFirst(lane); i != TaskBatch::kNone; i = batch_.command(i).nextInLane) {
      if (preempted()) break;  // the rest of the lane is not run (finding 14)
      TaskBatch::Command& c = batch_.command(i);
      const std::span<const uint32_t> a = batch_.args(c);
      counters_.commands.fetch_add(1, std::memory_order_relaxed);
      const double start = tracer_.enabled() ? EngineTracer::now() : 0;
      c.error = CommandProcessor::runTask(*this, c.op, a.data(), static_cast<uint32_t>(a.size()));
      tracer_.span(trace::Event::engine_command, start, c.op, c.words + 1);
      c.ran = true;
    }
  }
}

Error CommandProcessor::runTask(SoftEngine& e, uint16_t op, const uint32_t* a, uint32_t n) {
  auto context = [&e](uint32_t ctx) { return CommandProcessor::context(e, ctx); };
  switch (op) {
    case OpCtxCreate: {
      if (n != 3) return Error::BadCommand;
      const uint32_t ctx = a[0];
      const uint64_t size = u64(a + 1);
      if (!ContextTable::inRange(ctx) || context(ctx) != nullptr) return Error::BadContext;
      if (size == 0 || (size & 0xFFF) != 0 || size > e.config_.maxContextBytes) return Error::BadContext;
      const CreatedTask created = e.host_.createTask(size);
      if (created.status != HostStatus::Ok) return Error::BadContext;
      e.tasks_.addTask(created.task, size);
      e.contexts_.add(ctx, ContextTable::Context{created.task, size});
      return Error::None;
    }
    case OpCtxDestroy: {
      if (n != 1) return Error::BadCommand;
      const ContextTable::Context* c = context(a[0]);
      if (c == nullptr) return Error::BadContext;
      const uint32_t task = c->task;
      e.contexts_.remove(a[0]);
      e.tasks_.removeTask(task);
      if (e.host_.destroyTask(task) != HostStatus::Ok) return Error::HostRefused;
      return Error::None;
    }
    case OpMap: {
      if (n < 5) return Error::BadCommand;
      const uint32_t count = a[4];
      if (count == 0 || count > kMaxMapRanges || n != 5 + 4 * count) return Error::BadCommand;
      ContextTable::Context* c = context(a[0]);
      if (c == nullptr) return Error::BadContext;
      const uint64_t va = u64(a + 1);
      const bool readOnly = (a[3] & 1) != 0;
      if ((a[3] & ~1u) != 0) return Error::BadCommand;
      PhysicalRange ranges[kMaxMapRanges];
      uint64_t total = 0;
      for (uint32_t i = 0; i < count; ++i) {
        ranges[i] = PhysicalRange{u64(a + 5 + 4 * i), u64(a + 7 + 4 * i)};
        if (ranges[i].length == 0 || (ranges[i].length & 0xFFF) != 0 || (ranges[i].gpa & 0xFFF) != 0) return Error::BadMapping;
        if (total + ranges[i].length < total) return Error::BadMapping;
        total += ranges[i].length;
      }
      const std::span<const PhysicalRange> list(ranges, count);
      if (e.host_.mapMemory(c->task, va, readOnly, list) != HostStatus::Ok) return Error::BadMapping;
      if (!e.tasks_.addMapping(c->task, va, readOnly, list)) {
        // The host accepted what the engine's own checks refuse: take it back on both sides.
        e.host_.unmapMemory(c->task, va, total);
        return Error::BadMapping;
      }
      return Error::None;
    }
    case OpUnmap: {
      if (n != 5) return Error::BadCommand;
      ContextTable::Context* c = context(a[0]);
      if (c == nullptr) return Error::BadContext;
      const uint64_t va = u64(a + 1), length = u64(a + 3);
      if (e.host_.unmapMemory(c->task, va, length) != HostStatus::Ok) return Error::BadUnmap;
      e.tasks_.removeRange(c->task, va, length);
      return Error::None;
    }
    case OpReadMem: {
      if (n != 6) return Error::BadCommand;
      ContextTable::Context* c = context(a[0]);
      if (c == nullptr) return Error::BadContext;
      const uint64_t va = u64(a + 1), gpa = u64(a + 3);
      const uint32_t length = a[5];
      if (length == 0 || length > kMaxReadMemBytes) return Error::BadCommand;
      if (e.host_.readMemory(gpa, length, e.scratch_.data()) != HostStatus::Ok) return Error::AccessFault;
      if (!e.tasks_.write(c->task, va, e.scratch_.data(), length)) return Error::AccessFault;
      return Error::None;
    }
    default:
      return Error::BadCommand;
  }
}

void CommandProcessor::run(SoftEngine& e, uint16_t op, const uint32_t* a, uint32_t n) {
  auto fail = [&e](Error error) { e.guestError(error); };
  auto display = [&e](uint32_t index) -> SoftDisplay* { return index < e.displays_.size() ? e.displays_[index].get() : nullptr; };
  auto context = [&e](uint32_t ctx) { return CommandProcessor::context(e, ctx); };
  // Every drawing command needs a display with a mode.
  auto drawTarget = [&](uint32_t index) -> SoftDisplay* {
    SoftDisplay* d = display(index);
    if (d == nullptr)
      fail(Error::BadDisplay);
    else if (d->mode < 0) {
      fail(Error::BadRect);
      return nullptr;
    }
    return d;
  };
  auto drawStatus = [&](SoftDisplay& d, DrawStatus status) {
    d.drawnSincePresent = true;
    // Interrupted: cut short by a reset, ring stop or the engine's stop (finding 14). Not the
    // guest's error; the rows drawn stay, and no encode captures them before the next present.
    if (status == DrawStatus::SourceFault)
      fail(Error::AccessFault);
    else if (status == DrawStatus::DeviceFault)
      e.deviceFault(*d.frame);
    else if (status != DrawStatus::Ok && status != DrawStatus::Interrupted)
      fail(Error::BadRect);
  };
  const DrawInterrupt* interrupt = &e.interrupt_;

  switch (op) {
    case OpNop:
      return;
    case OpCtxCreate:
    case OpCtxDestroy:
    case OpMap:
    case OpUnmap:
    case OpReadMem:
      // Not reached from the ring (runTaskBatch runs these); here for completeness.
      if (const Error error = runTask(e, op, a, n); error != Error::None) fail(error);
      return;
    case OpSetMode: {
      if (n != 2) return fail(Error::BadCommand);
      SoftDisplay* d = display(a[0]);
      if (d == nullptr || a[1] >= d->modes.size()) return fail(Error::BadDisplay);
      const DisplayMode& m = d->modes[a[1]];
      if (!d->frame->resize(m.width, m.height)) {
        // A GPU store's failed allocation (or lost device) is the host's failure, not the mode's.
        if (d->frame->fault() != StoreFault::None) return e.deviceFault(*d->frame);
        return fail(Error::BadDisplay);
      }
      // The clear in bands too: at 8192x8192 it is 256 MiB, first touched here after a resize.
      // Cut short, the rest reads as 0 (new storage) or the old pixels, and waits for a present.
      const DrawStatus cleared = d->frame->fill(Rect{0, 0, m.width, m.height}, 0xFF000000u, interrupt);
      if (cleared == DrawStatus::DeviceFault) e.deviceFault(*d->frame);
      d->mode = static_cast<int32_t>(a[1]);
      d->modeForRegisters.store(d->mode);
      d->generation++;
      d->clock.reset(d->paced ? m.refresh : 0);
      d->damage.all(m.width, m.height);
      d->drawnSincePresent = cleared != DrawStatus::Ok;
      e.postDisplay(&DisplayJobs::modeChange, {a[0], (uint64_t{m.width} << 32) | m.height, a[1], d->generation});
      e.serveEncodes(a[0]);  // encodes for the old mode are answered as stale
      return;
    }
    case OpFillRect: {
      if (n != 6) return fail(Error::BadCommand);
      SoftDisplay* d = drawTarget(a[0]);
      if (d) drawStatus(*d, d->frame->fill(Rect{a[1], a[2], a[3], a[4]}, a[5], interrupt));
      return;
    }
    case OpCopyRect: {
      if (n != 7) return fail(Error::BadCommand);
      SoftDisplay* d = drawTarget(a[0]);
      if (d) drawStatus(*d, d->frame->copy(a[1], a[2], Rect{a[3], a[4], a[5], a[6]}, interrupt));
      return;
    }
    case OpBlit: {
      if (n != 10) return fail(Error::BadCommand);
      SoftDisplay* d = drawTarget(a[0]);
      if (d == nullptr) return;
      ContextTable::Context* c = context(a[1]);
      if (c == nullptr) return fail(Error::BadContext);
      if ((a[9] & ~1u) != 0 || uint64_t{a[4]} < uint64_t{a[7]} * 4) return fail(Error::BadCommand);
      TaskRows rows(e.tasks_, c->task, u64(a + 2), a[4], a[7], e.scratch_);
      drawStatus(*d, d->frame->blit(Rect{a[5], a[6], a[7], a[8]}, (a[9] & 1) ? BlendMode::SourceOver : BlendMode::Copy, rows, interrupt));
      return;
    }
    case OpBlitSurface: {
      if (n != 9) return fail(Error::BadCommand);
      SoftDisplay* d = drawTarget(a[0]);
      if (d == nullptr) return;
      SurfaceView s;
      if (!e.iosfc_ || !e.iosfc_->surface(a[1], &s)) return fail(Error::BadSurface);
      const uint32_t sx = a[2], sy = a[3], w = a[6], h = a[7];
      if ((a[8] & ~1u) != 0 || !rectInside(Rect{sx, sy, w, h}, s.width, s.height)) return fail(Error::BadSurface);
      const uint64_t first = uint64_t{sy} * s.stride + uint64_t{sx} * 4;
      const uint64_t bytes = uint64_t{s.stride} * s.height - first;
      ContiguousRows rows(s.pixels + first, bytes, s.stride, w);
      drawStatus(*d, d->frame->blit(Rect{a[4], a[5], w, h}, (a[8] & 1) ? BlendMode::SourceOver : BlendMode::Copy, rows, interrupt));
      return;
    }
    case OpPresent: {
      if (n < 2) return fail(Error::BadCommand);
      const uint32_t count = a[1];
      if (count > kMaxDamageRects || n != 2 + 4 * count) return fail(Error::BadCommand);
      SoftDisplay* d = drawTarget(a[0]);
      if (d == nullptr) return;
      for (uint32_t i = 0; i < count; ++i) {
        if (!rectInside(Rect{a[2 + 4 * i], a[3 + 4 * i], a[4 + 4 * i], a[5 + 4 * i]}, d->frame->width(), d->frame->height())) {
          return fail(Error::BadRect);
        }
      }
      // Whole-frame readback (PVG's newFrame names no damage): the rectangles were checked, and go unused.
      if (count == 0 || d->wholeFrameReadback) d->damage.all(d->frame->width(), d->frame->height());
      for (uint32_t i = 0; i < count && !d->wholeFrameReadback; ++i) d->damage.add(Rect{a[2 + 4 * i], a[3 + 4 * i], a[4 + 4 * i], a[5 + 4 * i]});
      d->frame->present();  // a GPU store submits the frame's commands
      if (d->paced) e.waitForVblank(*d);
      d->frameSeq++;
      d->drawnSincePresent = false;
      e.counters_.presents.fetch_add(1, std::memory_order_relaxed);
      e.postDisplay(&DisplayJobs::newFrame, {a[0], d->frameSeq, 0, 0});
      e.serveEncodes(a[0]);
      return;
    }
    case OpCursorDefine: {
      if (n != 10) return fail(Error::BadCommand);
      SoftDisplay* d = display(a[0]);
      if (d == nullptr) return fail(Error::BadDisplay);
      ContextTable::Context* c = context(a[1]);
      if (c == nullptr) return fail(Error::BadContext);
      const uint32_t w = a[4], h = a[5], bpp = a[6], stride = a[7];
      const uint64_t bytes = uint64_t{stride} * h;
      if (w == 0 || h == 0 || w > proto::kMaxCursorSize || h > proto::kMaxCursorSize || bytes > e.glyphScratch_.size()) return fail(Error::BadCursor);
      if (!e.tasks_.read(c->task, u64(a + 2), e.glyphScratch_.data(), bytes)) return fail(Error::AccessFault);
      CursorConvertResult converted = convertCursorGlyph(e.glyphScratch_.data(), bytes, w, h, bpp, stride, a[8], a[9]);
      if (!converted.ok()) return fail(Error::BadCursor);
      auto glyph = std::make_unique<CursorGlyph>(std::move(converted.glyph));
      e.postDisplay(&DisplayJobs::cursorGlyph, {a[0], reinterpret_cast<uint64_t>(glyph.release()), 0, 0});
      return;
    }
    case OpCursorShow: {
      if (n != 2) return fail(Error::BadCommand);
      SoftDisplay* d = display(a[0]);
      if (d == nullptr) return fail(Error::BadDisplay);
      d->cursorVisible = a[1] != 0;
      e.postDisplay(&DisplayJobs::cursorShow, {a[0], a[1] != 0 ? 1u : 0u, 0, 0});
      return;
    }
    case OpCursorMove: {
      if (n != 3) return fail(Error::BadCommand);
      SoftDisplay* d = display(a[0]);
      if (d == nullptr) return fail(Error::BadDisplay);
      d->cursorX.store(static_cast<int32_t>(a[1]));
      d->cursorY.store(static_cast<int32_t>(a[2]));
      e.postDisplay(&DisplayJobs::cursorMove, {a[0], a[1], a[2], 0});
      return;
    }
    case OpFence: {
      if (n != 2 || (a[1] & ~1u) != 0) return fail(Error::BadCommand);
      e.fenceCompleted_.store(a[0]);
      e.tasks_.write(e.ringTask_, kRingHeaderFence, &a[0], 4);  // before the interrupt: a woken guest reads it
      e.counters_.fences.fetch_add(1, std::memory_order_relaxed);
      if (a[1] & 1) e.raiseCause(IrqFence);
      return;
    }
    default:
      return fail(Error::BadCommand);
  }
}
}  // namespace pvg::engine
