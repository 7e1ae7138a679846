// The soft engine's threads and registers; command processing is in commands.cpp.
#include "engine/soft/soft_engine.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "abi/surface_layout.h"
#include "abi/engine_records.h"

namespace pvg::engine {
using namespace proto;

SoftEngine::SoftEngine(const SoftEngineConfig& config, const GuestMemoryView& guest, MailboxRef inbound, HostCallbacks& host, MmioCompleter& completer,
                       EngineTracer* tracer)
    : config_(config),
      guest_(guest),
      inbound_(inbound),
      host_(host),
      completer_(completer),
      tracer_(tracer ? *tracer : noTracer_),
      tasks_(guest, config.mapSemantics),
      command_(kMaxCommandWords),
      scratch_(kMaxReadMemBytes),
      glyphScratch_(256 * 1024),
      displayQueue_("pvg-display", 1, 1, 1024),
      pool_("pvg-pool", std::max(2u, config.poolThreads), 2, 256) {
  // After the pool's threads in the engine's thread numbering (its trace ring: the gpu track).
  if (config_.frameStores) gpuQueue_ = std::make_unique<JobQueue>("pvg-gpu", 1, static_cast<int>(2 + pool_.threads()), 64);
  for (const auto& d : config_.displays) {
    auto display = std::make_unique<SoftDisplay>();
    display->port = d.port;
    display->serial = d.serial;
    display->modes = d.modes;
    display->surfaces = d.surfaces;
    display->paced = d.paced;
    display->wholeFrameReadback = d.wholeFrameReadback;
    display->encodes.reserve(8);
    display->frame =
        config_.frameStores ? config_.frameStores(static_cast<uint32_t>(displays_.size()), tracer_, gpuQueue_.get()) : std::make_unique<SoftFrameStore>();
    displays_.push_back(std::move(display));
  }
  if (config_.iosfc) iosfc_ = std::make_unique<Iosfc>(guest_, host_);
  if (kEngineInline) return;  // dispatchPending() does the dispatcher's work
  dispatcher_ = std::thread([this] {
    setCurrentEngineThread(0, "pvg-mmio");
    dispatchLoop();
  });
}

SoftEngine::~SoftEngine() { stop(); }

void SoftEngine::stop() {
  // stopped_ also preempts the executor: the pass under way ends at the next command or band of
  // rows instead of running the rest of the ring, so the pool's join below is prompt whatever the
  // ring holds (docs/hardening.md, finding 14).
  if (stopped_.exchange(true)) return;
  {
    // Release a dispatcher waiting for the executor (runOnExecutor checks stopped_).
    std::lock_guard lock(controlMutex_);
  }
  controlDone_.notify_all();
  vblankWake_.notify_all();
  inbound_.close(0);
  if (dispatcher_.joinable()) dispatcher_.join();
  pool_.stop();
  // No executor now: the readbacks still in flight finish (each fence wait is bounded) and are
  // dropped unanswered, as queued requests are (finishEncode sees stopped_); then their queue ends.
  for (auto& d : displays_) d->frame->settleReadback();
  if (gpuQueue_) gpuQueue_->stop();
  displayQueue_.stop();
}

EngineStats SoftEngine::stats() const {
  EngineStats s;
  s.mmioReads = counters_.mmioReads.load();
  s.mmioWrites = counters_.mmioWrites.load();
  s.commands = counters_.commands.load();
  s.presents = counters_.presents.load();
  s.encodes = counters_.encodes.load();
  s.fences = counters_.fences.load();
  s.badRegisterAccesses = counters_.badRegisterAccesses.load();
  {
    std::lock_guard lock(vblankMutex_);
    s.vblankWaits = vblankWaits_;
    s.lastVblankUs = lastVblankUs_;
  }
  s.vblankMissed = counters_.vblankMissed.load();
  s.deviceFaults = counters_.deviceFaults.load();
  s.storeFault = static_cast<StoreFault>(counters_.storeFault.load());
  for (size_t i = 0; i < s.errors.size(); ++i) s.errors[i] = counters_.errors[i].load();
  return s;
}

void SoftEngine::deviceFault(const FrameStore& store) {
  counters_.deviceFaults.fetch_add(1, std::memory_order_relaxed);
  uint8_t none = 0;
  counters_.storeFault.compare_exchange_strong(none, static_cast<uint8_t>(store.fault()));
  guestError(proto::Error::HostRefused);
}

EngineActivity SoftEngine::activity() const {
  EngineActivity a;
  // Handled first: a record counted here was taken before the caller reads the mailbox's count.
  a.recordsHandled = recordsHandled_.load();
  a.executorBusy = executorScheduled_.load() || readbacksInFlight_.load() != 0;
  a.displayJobs = displayQueue_.pending();
  return a;
}

int32_t SoftEngine::cursorX(uint32_t display) const { return display < displays_.size() ? displays_[display]->cursorX.load() : 0; }
int32_t SoftEngine::cursorY(uint32_t display) const { return display < displays_.size() ? displays_[display]->cursorY.load() : 0; }

// ------------------------------------------------------------------ MMIO dispatcher

void SoftEngine::dispatchLoop() {
  MailboxRecord r;
  for (;;) {
    if (!inbound_.dequeueWait(r, config_.dispatcherSpin, 50'000'000, config_.spinGate)) {
      if (inbound_.isClosed()) return;
      continue;
    }
    if (!handleRecord(r)) return;
  }
}

#ifdef PVG_ENGINE_INLINE
void SoftEngine::dispatchPending() {
  const EngineThreadScope dispatcher(0);
  MailboxRecord r;
  while (!stopped_.load() && inbound_.tryDequeue(r)) {
    if (!handleRecord(r)) return;
  }
}
#endif

bool SoftEngine::handleRecord(const MailboxRecord& r) {
  switch (r.kind) {
    case rec::InStop:
      return false;
    case rec::InMmioRead: {
      const double start = tracer_.enabled() ? EngineTracer::now() : 0;
      counters_.mmioReads.fetch_add(1, std::memory_order_relaxed);
      const auto read = rec::in::MmioRead::unpack(r.args);
      const uint64_t value = mmioRead(read.window, read.offset, read.size);
      completer_.readDone(MmioTicket{read.vcpu, read.slot, static_cast<uint32_t>(read.id)}, value);
      tracer_.span(read.window == rec::WindowIosfc ? trace::Event::apple_iosfc_read : trace::Event::apple_gfx_read, start, static_cast<double>(read.offset),
                   static_cast<double>(value));
      tracer_.flow(trace::Phase::FlowStep, EngineTracer::mmioFlowId(read.vcpu, static_cast<uint32_t>(read.id)), start + EngineTracer::kFlowInsetUs);
      break;
    }
    case rec::InMmioWrite: {
      const double start = tracer_.enabled() ? EngineTracer::now() : 0;
      counters_.mmioWrites.fetch_add(1, std::memory_order_relaxed);
      const auto write = rec::in::MmioWrite::unpack(r.args);
      mmioWrite(write.window, write.offset, write.size, write.value);
      completer_.writeDone(MmioTicket{write.vcpu, 0, 0});
      // The trace shows the value's low word, as the record's first value word.
      tracer_.span(write.window == rec::WindowIosfc ? trace::Event::apple_iosfc_write : trace::Event::apple_gfx_write, start, static_cast<double>(write.offset),
                   static_cast<uint32_t>(write.value));
      break;
    }
    case rec::InEncode: {
      const auto e = rec::in::Encode::unpack(r.args);
      requestEncode(e.display, EncodeRequest{e.surface, e.generation, Rect{e.x, e.y, e.width, e.height}});
      break;
    }
    case rec::InReset:
      runOnExecutor(Control::Reset);
      break;
    case rec::InPowerOn:
      // The registers the dispatcher owns; the executor does the rest.
      displaySelect_ = modeSelect_ = 0;
      ringGpaLo_.store(0);
      ringGpaHi_.store(0);
      ringSize_.store(0);
      runOnExecutor(Control::PowerOn);
      break;
    default:
      break;
  }
  recordsHandled_.fetch_add(1);  // after its effect (a scheduled executor, a control done)
  return true;
}

// The windows take 4- and 8-byte accesses aligned to their size, as upstream QEMU declares them
// (hw/display/apple-gfx.m and apple-gfx-mmio.m: `.valid` 4 to 8 bytes, not unaligned). QEMU's
// memory core splits an 8-byte access to the gfx window (`.impl` 4 bytes) into two 4-byte ones,
// the low half at the lower offset first; the IOSurface window takes 8 bytes whole (`.impl` up to
// 8), and since this model's IOSurface registers are 32 bits wide, the same split is what such an
// access does to them. Anything else (1 or 2 bytes, unaligned) is a bad register access.
static bool validAccess(uint64_t offset, uint32_t size) { return (size == 4 || size == 8) && (offset & (size - 1)) == 0; }

uint64_t SoftEngine::mmioRead(uint32_t window, uint64_t offset, uint32_t size) {
  if (!validAccess(offset, size)) {
    counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
    guestError(Error::BadRegister);
    return ~0ull;
  }
  if (size == 4) {
    uint32_t word = 0;
    if (readRegister(window, offset, word)) return word;
    counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
    return ~0ull;  // nothing answers there: all ones, as an unassigned read
  }
  uint64_t value = 0;
  for (uint32_t half = 0; half < 2; ++half) {
    uint32_t word = 0xFFFFFFFFu;
    if (!readRegister(window, offset + 4 * half, word)) counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
    value |= uint64_t{word} << (32 * half);
  }
  return value;
}

void SoftEngine::mmioWrite(uint32_t window, uint64_t offset, uint32_t size, uint64_t value) {
  if (!validAccess(offset, size)) {
    counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
    guestError(Error::BadRegister);
    return;
  }
  for (uint32_t half = 0; half < size / 4; ++half) {
    if (!writeRegister(window, offset + 4 * half, static_cast<uint32_t>(value >> (32 * half))))
      counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
  }
}

bool SoftEngine::readRegister(uint32_t window, uint64_t offset, uint32_t& value) {
  if (window == rec::WindowGfx && offset < kGfxWindowBytes) {
    value = gfxRead(static_cast<uint32_t>(offset));
    return true;
  }
  if (window == rec::WindowIosfc && iosfc_ && offset < kIosfcWindowBytes) {
    value = iosfc_->read(static_cast<uint32_t>(offset));
    return true;
  }
  return false;
}

bool SoftEngine::writeRegister(uint32_t window, uint64_t offset, uint32_t value) {
  if (window == rec::WindowGfx && offset < kGfxWindowBytes) {
    gfxWrite(static_cast<uint32_t>(offset), value);
    return true;
  }
  if (window == rec::WindowIosfc && iosfc_ && offset < kIosfcWindowBytes) return iosfc_->write(static_cast<uint32_t>(offset), value);
  return false;
}

uint32_t SoftEngine::gfxRead(uint32_t offset) {
  const SoftDisplay* d = displaySelect_ < displays_.size() ? displays_[displaySelect_].get() : nullptr;
  const DisplayMode* m = d && modeSelect_ < d->modes.size() ? &d->modes[modeSelect_] : nullptr;
  switch (offset) {
    case RegId:
      return kId;
    case RegVersion:
      return kVersion;
    case RegFeatures:
      return FeatureCursor | FeatureFences | FeatureDamage | FeatureIrqInRing | (displays_.size() > 1 ? uint32_t{FeatureDisplays} : 0u) |
             (iosfc_ ? uint32_t{FeatureIosfc} : 0u);
    case RegStatus:
      return status_.load() | (errorCode_.load() != 0 ? uint32_t{StatusError} : 0u);
    case RegErrorCode:
      return errorCode_.load();
    case RegErrorCount:
      return errorCount_.load();
    case RegIrqStatus:
      return irqStatus_.load();
    case RegIrqMask:
      return irqMask_.load();
    case RegRingGpaLo:
      return ringGpaLo_.load();
    case RegRingGpaHi:
      return ringGpaHi_.load();
    case RegRingSize:
      return ringSize_.load();
    case RegRingControl:
      return (status_.load() & StatusRunning) ? 1 : 0;
    case RegRingHead:
      return ringHead_.load();
    case RegDisplayCount:
      return static_cast<uint32_t>(displays_.size());
    case RegDisplaySelect:
      return displaySelect_;
    case RegModeCount:
      return d ? static_cast<uint32_t>(d->modes.size()) : 0;
    case RegModeSelect:
      return modeSelect_;
    case RegModeWidth:
      return m ? m->width : 0;
    case RegModeHeight:
      return m ? m->height : 0;
    case RegModeRefresh:
      return m ? m->refresh : 0;
    case RegCurrentMode:
      return d ? static_cast<uint32_t>(d->modeForRegisters.load()) : 0xFFFFFFFFu;
    case RegFenceCompleted:
      return fenceCompleted_.load();
    default:
      counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
      return 0;
  }
}

void SoftEngine::gfxWrite(uint32_t offset, uint32_t value) {
  switch (offset) {
    case RegErrorAck: {
      // Clears STATUS.error with it. Under the error lock: never inside an error report.
      std::lock_guard lock(errorMutex_);
      errorCode_.store(0);
      return;
    }
    case RegIrqAck:
      irqStatus_.fetch_and(~value);
      return;
    case RegIrqMask:
      irqMask_.store(value & (IrqFence | IrqError | IrqRingIdle));
      return;
    case RegRingGpaLo:
      ringGpaLo_.store(value);
      return;
    case RegRingGpaHi:
      ringGpaHi_.store(value);
      return;
    case RegRingSize:
      ringSize_.store(value);
      return;
    case RegRingControl:
      // Controls are issued only here, one at a time, each finished before the next record: so
      // STATUS.running is the executor's ring state now, and starting a running ring is refused
      // without disturbing it (the executor's startRing() would refuse it too, but only after
      // preempting the ring's command under way).
      if (value == 1 && (status_.load() & StatusRunning) != 0) return guestError(Error::BadRingSetup);
      runOnExecutor(value == 1 ? Control::StartRing : Control::StopRing);
      return;
    case RegDoorbell:
      // A tail that cannot be one is refused and the previous doorbell stands: overwriting it
      // would lose commands the guest already rang for.
      if (value >= ringPayloadBytes_.load() || (value & 3) != 0) return guestError(Error::BadCommand);
      doorbellTail_.store(value);
      scheduleExecutor();
      return;
    case RegDisplaySelect:
      displaySelect_ = value;
      return;
    case RegModeSelect:
      modeSelect_ = value;
      return;
    case RegReset:
      if (value == kResetMagic)
        runOnExecutor(Control::Reset);
      else
        guestError(Error::BadRegister);
      return;
    default:
      counters_.badRegisterAccesses.fetch_add(1, std::memory_order_relaxed);
      guestError(Error::BadRegister);
      return;
  }
}

void SoftEngine::requestEncode(uint32_t display, const EncodeRequest& request) {
  if (display >= displays_.size()) {
    host_.encodeDone(display, request.surface, request.generation, rec::EncodeBadRequest, 0, 0);
    return;
  }
  SoftDisplay& d = *displays_[display];
  {
    std::lock_guard lock(d.encodeMutex);
    if (d.encodes.size() >= 8) {
      host_.encodeDone(display, request.surface, request.generation, rec::EncodeBadRequest, 0, 0);
      return;
    }
    d.encodes.push_back(request);
  }
  encodeRequests_.fetch_add(1);
  scheduleExecutor();
}

// ------------------------------------------------------------------ ring executor

void SoftEngine::runOnExecutor(Control control) {
  std::unique_lock lock(controlMutex_);
  controlDone_.wait(lock, [this] { return !controlBusy_ || stopped_.load(); });
  if (stopped_.load()) return;
  control_ = control;
  controlBusy_ = true;
  // The executor puts down the ring pass (or the encode) under way at its next check: the control
  // waits for one command or band of rows, not for the rest of the ring (finding 14).
  preempt_.store(true, std::memory_order_relaxed);
  lock.unlock();
  vblankWake_.notify_all();  // a present waiting for its refresh tick completes now
  scheduleExecutor();
  lock.lock();
  // The MMIO access completes only once the executor has done it (a later read observes it).
  controlDone_.wait(lock, [this] { return !controlBusy_ || stopped_.load(); });
}

void SoftEngine::scheduleExecutor() {
  if (executorScheduled_.exchange(true)) return;
  if (!pool_.post(Job{&SoftEngine::executorJob, this, {}})) executorScheduled_.store(false);
}

void SoftEngine::executorJob(void* self, const std::array<uint64_t, 4>&) {
  auto* e = static_cast<SoftEngine*>(self);
  for (;;) {
    if (e->stopped_.load()) {
      // The pass would do nothing (and the work below would never be "done"): leave the flag set,
      // so no further job is posted.
      return;
    }
    const uint64_t requests = e->encodeRequests_.load();  // the pass looks at these and earlier ones
    e->executorPass();
    e->executorScheduled_.store(false);
    // Work that arrived after the pass but before the flag dropped would otherwise wait. From here
    // on another job may already be running a pass, so only atomics and locked state are read:
    // no display or ring state of the executor's (docs/fuzzing.md, finding 1).
    bool more = e->ringPayloadBytes_.load() != 0 && e->doorbellTail_.load() != e->ringHead_.load();
    {
      std::lock_guard lock(e->controlMutex_);
      more = more || e->controlBusy_;
    }
    // An encode the pass left waiting for its display's next present is not work yet (the present
    // brings it); one asked for since the pass began is.
    more = more || e->encodeRequests_.load() != requests;
    if (!more || e->executorScheduled_.exchange(true)) return;
  }
}

void SoftEngine::executorPass() {
  for (;;) {
    if (stopped_.load()) return;
    Control control;
    {
      std::lock_guard lock(controlMutex_);
      control = controlBusy_ ? control_ : Control::None;
      preempt_.store(false, std::memory_order_relaxed);  // taken: what it asked for happens now
    }
    // Read before the control is signalled done: once it is, the waiter may load a saved state
    // into the powered-on engine, which writes the ring's fields (a data race under TSan).
    bool ringRuns = ringRunning_;
    if (control != Control::None) {
      if (control == Control::StartRing) startRing();
      if (control == Control::StopRing) stopRing();
      if (control == Control::Reset) reset();
      if (control == Control::PowerOn) powerOn();
      ringRuns = ringRunning_;
      {
        std::lock_guard lock(controlMutex_);
        controlBusy_ = false;
        control_ = Control::None;
      }
      controlDone_.notify_all();
    }
    // Returns early when a control arrives (or the engine stops): take the control at once, then
    // go on with the ring if it still runs (finding 14).
    if (ringRuns) processCommands();
    {
      std::lock_guard lock(controlMutex_);
      if (!controlBusy_) break;
    }
  }
  serveAllEncodes();
}

void SoftEngine::startRing() {
  if (ringRunning_) return guestError(Error::BadRingSetup);
  const uint64_t gpa = ringGpaLo_.load() | (uint64_t{ringGpaHi_.load()} << 32);
  const uint32_t size = ringSize_.load();
  const bool sizeOk = size >= kRingMinBytes && size <= kRingMaxBytes && (size & (size - 1)) == 0;
  if (!sizeOk || (gpa & 0xFFF) != 0 || !guest_.translate(gpa, size, GuestAccess::Write)) return guestError(Error::BadRingSetup);
  const CreatedTask created = host_.createTask(size);
  if (created.status != HostStatus::Ok) return guestError(Error::HostRefused);
  tasks_.addTask(created.task, size);
  const PhysicalRange range{gpa, size};
  if (host_.mapMemory(created.task, 0, false, std::span(&range, 1)) != HostStatus::Ok || !tasks_.addMapping(created.task, 0, false, std::span(&range, 1))) {
    tasks_.removeTask(created.task);
    host_.destroyTask(created.task);
    return guestError(Error::HostRefused);
  }
  ringTask_ = created.task;
  ringPayload_ = size - kRingHeaderBytes;
  ringPayloadBytes_.store(ringPayload_);
  ringRunning_ = true;
  attachRingIrqWord();
  ringHead_.store(0);
  doorbellTail_.store(0);
  status_.fetch_or(StatusRunning);
}

void SoftEngine::attachRingIrqWord() {
  uint8_t* word = ringRunning_ ? tasks_.pointer(ringTask_, kRingHeaderIrq, 4, TaskAccess::Write) : nullptr;
  // The ring is 4 KiB aligned in guest RAM (startRing), so the word is; checked all the same,
  // since an atomic_ref needs it.
  if (word != nullptr && reinterpret_cast<uintptr_t>(word) % alignof(uint32_t) != 0) word = nullptr;
  ringIrqWord_.store(reinterpret_cast<uint32_t*>(word), std::memory_order_release);
}

void SoftEngine::stopRing() {
  if (!ringRunning_) return;
  ringIrqWord_.store(nullptr, std::memory_order_release);
  ringRunning_ = false;
  ringPayloadBytes_.store(0);
  status_.fetch_and(~uint32_t{StatusRunning});
  tasks_.removeTask(ringTask_);
  host_.destroyTask(ringTask_);  // releases its mapping on the host side too
}

void SoftEngine::reset() {
  stopRing();
  // Only the live contexts (context_table.h), in context order, as before.
  contexts_.forEachLive([this](uint32_t, const ContextTable::Context& c) {
    tasks_.removeTask(c.task);
    host_.destroyTask(c.task);
  });
  contexts_.clear();
  if (iosfc_) iosfc_->reset();
  {
    std::lock_guard lock(errorMutex_);
    errorCode_.store(0);
    errorCount_.store(0);  // docs/protocol.md: ERROR_COUNT counts errors since reset
    irqStatus_.store(0);
  }
  irqMask_.store(0);
  fenceCompleted_.store(0);
  status_.store(StatusReady);
}

void SoftEngine::powerOn() {
  reset();
  doorbellTail_.store(0);
  ringHead_.store(0);
  for (uint32_t i = 0; i < displays_.size(); ++i) {
    SoftDisplay& d = *displays_[i];
    d.frame->release();  // frees the pixels: a new engine has none
    d.mode = -1;
    d.modeForRegisters.store(-1);
    d.generation = d.frameSeq = 0;
    d.damage = Damage{};  // and its capacity
    d.drawnSincePresent = d.cursorVisible = false;
    d.cursorX.store(0);
    d.cursorY.store(0);
    // Requests still waiting are answered as a new engine answers them: no mode.
    std::vector<EncodeRequest> waiting;
    {
      std::lock_guard lock(d.encodeMutex);
      waiting.swap(d.encodes);
      d.encodes.reserve(8);
    }
    for (const EncodeRequest& r : waiting) host_.encodeDone(i, r.surface, r.generation, rec::EncodeNoMode, 0, 0);
  }
  // Display handlers already queued carry the old state (frame numbers, generations): they run
  // before the power-on completes, so none reaches the host after it.
  struct Drained {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
  } drained;
  const Job marker{[](void*, const std::array<uint64_t, 4>& a) {
                     auto* m = reinterpret_cast<Drained*>(a[0]);
                     std::lock_guard lock(m->mutex);
                     m->done = true;
                     m->cv.notify_all();
                   },
                   this,
                   {reinterpret_cast<uint64_t>(&drained), 0, 0, 0}};
  if (!displayQueue_.post(marker)) return;  // stopping: nothing more reaches the host
  std::unique_lock lock(drained.mutex);
  drained.cv.wait(lock, [&] { return drained.done; });
}

EngineHoldings SoftEngine::holdings() const {
  EngineHoldings h;
  h.contexts = contexts_.liveCount();
  h.tasks = tasks_.taskCount();
  h.ringRunning = ringRunning_;
  h.ringGpaLo = ringGpaLo_.load();
  h.ringGpaHi = ringGpaHi_.load();
  h.ringSize = ringSize_.load();
  h.doorbellTail = doorbellTail_.load();
  h.ringHead = ringHead_.load();
  h.displaySelect = displaySelect_;
  h.modeSelect = modeSelect_;
  for (const auto& d : displays_) {
    EngineHoldings::Display x;
    x.mode = d->mode;
    x.modeForRegisters = d->modeForRegisters.load();
    x.generation = d->generation;
    x.frameSeq = d->frameSeq;
    x.framePixels = d->frame->capacity();
    x.damageRects = d->damage.rects().size();
    {
      std::lock_guard lock(d->encodeMutex);
      x.pendingEncodes = d->encodes.size() + (d->encodeInFlight ? 1 : 0);
    }
    x.drawnSincePresent = d->drawnSincePresent;
    x.cursorVisible = d->cursorVisible;
    x.cursorX = d->cursorX.load();
    x.cursorY = d->cursorY.load();
    h.displays.push_back(x);
  }
  return h;
}

void SoftEngine::serveAllEncodes() {
  for (uint32_t i = 0; i < displays_.size(); ++i) serveEncodes(i);
}

void SoftEngine::serveEncodes(uint32_t display) {
  SoftDisplay& d = *displays_[display];
  // Only this thread removes requests (the dispatcher appends), so the front stays the front
  // while it is copied; it leaves the queue once answered.
  for (;;) {
    if (preempted()) return;  // a control waits: the next pass serves the rest
    EncodeRequest req;
    uint32_t status = rec::EncodeOk;
    {
      std::lock_guard lock(d.encodeMutex);
      if (d.encodes.empty() || d.encodeInFlight) return;  // behind one in flight: its completion reschedules
      req = d.encodes.front();
      if (d.mode < 0) {
        status = rec::EncodeNoMode;
      } else if (req.generation != d.generation) {
        status = rec::EncodeStaleMode;
      } else if (req.surface >= d.surfaces.count || d.surfaces.surfaceBytes() < surface::kHeaderBytes + uint64_t{d.frame->width()} * d.frame->height() * 4 ||
                 !rectInside(req.region, d.frame->width(), d.frame->height())) {
        status = rec::EncodeBadRequest;
      } else if (d.drawnSincePresent || d.damage.rects().empty()) {
        return;  // mid-frame, or nothing new since the last encode: wait for the next present
      }
    }
    const double start = tracer_.enabled() ? EngineTracer::now() : 0;
    uint32_t damageCount = 0;
    // A GPU store copies asynchronously: answered later, from its completion thread.
    if (status == rec::EncodeOk && d.frame->asyncReadback()) {
      std::vector<Rect> clips = damageClips(d, req.region);
      if (!clips.empty()) {
        if (beginEncode(display, d, req, std::move(clips), start)) return;
        deviceFault(*d.frame);
        status = rec::EncodeBadRequest;  // as a failed readback below
      }
    }
    // Preempted, the copy is abandoned whole and the request stays first in line: it is served
    // again, from the start, once the control is done (a reset keeps the frame and its damage).
    if (status == rec::EncodeOk && !encodeInto(d, req, &damageCount)) {
      if (d.frame->fault() == StoreFault::None) return;
      status = rec::EncodeBadRequest;  // the store's device failed (counted): answered, not retried
    }
    {
      std::lock_guard lock(d.encodeMutex);
      d.encodes.erase(d.encodes.begin());
    }
    counters_.encodes.fetch_add(1, std::memory_order_relaxed);
    tracer_.span(trace::Event::engine_encode, start, display, status, damageCount);
    host_.encodeDone(display, req.surface, req.generation, status, d.frameSeq, damageCount);
  }
}

void SoftEngine::waitForVblank(SoftDisplay& d) {
  if (!d.clock.paced()) return;
  const FrameClock::Vblank v = d.clock.next(FrameClock::Clock::now());
  counters_.vblankMissed.fetch_add(v.skipped, std::memory_order_relaxed);
  const double start = tracer_.enabled() ? EngineTracer::now() : 0;
  if (v.at > FrameClock::Clock::now()) {  // tick 0, and a late present's tick, may be due already
    std::unique_lock lock(controlMutex_);
    vblankWake_.wait_until(lock, v.at, [this] { return preempted(); });
  }
  {
    std::lock_guard lock(vblankMutex_);
    vblankWaits_++;
    lastVblankUs_ = monotonicMicros();
  }
  // The pacing source on the timeline: the wait on the executor's track, then the tick itself.
  tracer_.span(trace::Event::vblank_wait, start, d.port, static_cast<double>(v.tick));
  tracer_.instant(trace::Event::vblank, d.port, static_cast<double>(v.tick), static_cast<double>(v.skipped));
}

// ------------------------------------------------------------------ errors and interrupts

void SoftEngine::guestError(Error error) {
  const auto code = static_cast<uint32_t>(error);
  counters_.errors[code < kErrorKinds ? code : 0].fetch_add(1, std::memory_order_relaxed);
  tracer_.instant(trace::Event::engine_error, code);
  {
    // The whole report under the error lock, so that an ERROR_ACK on the dispatcher cannot fall
    // inside it (it used to: STATUS.error left set with ERROR_CODE 0, or the new error's code
    // cleared with STATUS.error left set, or IRQ_STATUS.error raised for an error the guest had
    // already acknowledged). Counted first and the cause raised last, so whoever reads the code
    // finds the count and the interrupt cause already there.
    std::lock_guard lock(errorMutex_);
    const uint32_t count = errorCount_.load(std::memory_order_relaxed);
    if (count != UINT32_MAX) errorCount_.store(count + 1);                        // saturates (docs/protocol.md)
    if (errorCode_.load(std::memory_order_relaxed) == 0) errorCode_.store(code);  // the first error is kept
    latchCause(IrqError);
  }
  // The interrupt itself outside the lock: it is a host callback, which may wait.
  if (irqMask_.load() & IrqError) host_.raiseInterrupt(static_cast<uint32_t>(std::countr_zero(uint32_t{IrqError})));  // vector 1 (raiseCause)
}

void SoftEngine::latchCause(uint32_t cause) {
  irqStatus_.fetch_or(cause);
  // The guest takes the word with an atomic exchange while this ORs into it: an atomic RMW on
  // both sides, so neither loses the other's bits (docs/protocol.md §2, "Interrupt causes").
  if (uint32_t* word = ringIrqWord_.load(std::memory_order_acquire)) std::atomic_ref<uint32_t>(*word).fetch_or(cause);
}

void SoftEngine::raiseCause(uint32_t cause) {
  latchCause(cause);
  // One vector per cause, its IRQ_STATUS bit number (fence 0, error 1, ring idle 2), as PVG names
  // the vector it raises: the PCI variant's MSI carries it (folded into the vectors the guest
  // enabled), the MMIO variant's line does not (docs/protocol.md §1, "Interrupts").
  if (irqMask_.load() & cause) host_.raiseInterrupt(static_cast<uint32_t>(std::countr_zero(cause)));
}

void SoftEngine::postDisplay(void (*fn)(void*, const std::array<uint64_t, 4>&), std::array<uint64_t, 4> args) { displayQueue_.post(Job{fn, this, args}); }
}  // namespace pvg::engine
