// The fuzz runs' engine: one SoftEngine (its own threads) over the Machine, the fake host, and
// MMIO as one vCPU does it (records into the inbound mailbox, completions back here).
//
// Persistent (libFuzzer's in-process loop): the targets share one rig per process (shared()) and
// put it back between inputs instead of building an engine per input. RESET does not clear all
// of the engine's state (display modes, frames, cursors, selects, held encodes), so end() sends
// the power-on record (rec::InPowerOn: the state of a new engine) and then checks that nothing
// was left behind — what the engine holds (holdings()), the registers, the host's tasks,
// surfaces and encodes, the engine's threads, the read-only region and the heap (the bytes
// allocated must be what they were before the input) — and aborts on leftovers, so libFuzzer
// reports the input that left them. begin() puts guest memory back and reconfigures the host.
// A crash file thus replays the same way alone (a fresh rig) as in the middle of a run.
//
// Two builds of the same rig (native/CMakeLists.txt): fuzz-NAME links the inline engine
// (PVG_ENGINE_INLINE, engine/threads/job_queue.h): it starts no thread, and enqueue() has the
// engine handle each record on this thread at once (SoftEngine::dispatchPending), with the ring
// executor, task lanes and display queue run inline as their jobs are posted — every wait below
// is then already satisfied when it starts, and a run is deterministic outright. fuzz-NAME-threaded
// (and the native tests) link the engine on its own threads, as the addon runs it.
//
// The harness is sequential, which makes a run deterministic although the engine is threaded:
// each MMIO access waits for its completion, and after a doorbell the harness waits until the
// ring is consumed. It waits with barriers: an encode request on display 1 that no mode can
// serve (generation kBarrierGeneration), which the ring executor answers the next time it serves
// display 1's queue — at the end of every pass, display 1 last. A barrier can thus be answered
// by the tail of a pass already under way: it orders after ring commands only once RING_HEAD
// shows them consumed (doorbell()), and says nothing about display 0's encodes.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/mailbox.h"
#include "abi/protocol.h"
#include "abi/engine_records.h"
#include "engine/soft/soft_engine.h"
#include "check.h"
#include "fake_host.h"
#include "machine.h"
#include "mmio_port.h"
#include "thread_census.h"

// The sanitizer runtime's count of bytes the program holds (ASan, TSan). Weak: a build without a
// sanitizer (the plain native tests) has none, and the heap check is then skipped.
extern "C" size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

namespace pvg::fuzz {
namespace P = engine::proto;

inline size_t heapBytes() { return __sanitizer_get_current_allocated_bytes != nullptr ? __sanitizer_get_current_allocated_bytes() : 0; }
namespace rec = engine::rec;
using namespace std::chrono_literals;

class Rig {
 public:
  explicit Rig(HostOptions options)
      : machine_(Machine::get()),
        threadsBefore_(census_.engineThreads()),
        host_(machine_.guest(), options, SurfacePoolView{machine_.pool0(), Machine::pool0SurfaceBytes(), kDisplay0Surfaces}) {
    machine_.reset();
    FUZZ_CHECK(MailboxRef::initialize(machine_.mailboxWords(), machine_.mailboxLength(), Machine::kMailboxCapacity), "mailbox");
    inbound_.emplace(*MailboxRef::attach(machine_.mailboxWords(), machine_.mailboxLength()));
    engine::SoftEngineConfig config;
    engine::SoftEngineConfig::Display d0, d1;
    for (const Mode& m : kDisplay0Modes) d0.modes.push_back({m.width, m.height, 60});
    for (const Mode& m : kDisplay1Modes) d1.modes.push_back({m.width, m.height, 60});
    d0.surfaces = {machine_.pool0(), Machine::pool0SurfaceBytes() * kDisplay0Surfaces, kDisplay0Surfaces};
    d1.surfaces = {machine_.pool1(), Machine::pool1SurfaceBytes(), 1};
    d1.port = 1;
    config.displays = {d0, d1};
    config.iosfc = true;
    config.poolThreads = 2;
    config.maxContextBytes = kMaxContextBytes;
    // How long the MMIO dispatcher spins on the mailbox before it parks (the engine's default:
    // 2000 checks). Spinning shortens each MMIO round trip when the dispatcher has a core of its
    // own (a campaign with a job per two cores) and steals the harness's core when it has not.
    if (const char* spin = std::getenv("PVG_FUZZ_DISPATCHER_SPIN")) config.dispatcherSpin = std::atoi(spin);
    engine_ = std::make_unique<engine::SoftEngine>(config, machine_.guest(), *inbound_, host_, port_);
    // Each thread names itself (pvg-…) once it runs: wait for all of them before counting. The
    // inline engine starts none.
    threadsRunning_ = threadsBefore_ + (engine::kEngineInline ? 0 : engine_->threadCount());
    for (int i = 0; i < 1000 && census_.engineThreads() < threadsRunning_; ++i) std::this_thread::sleep_for(1ms);
    FUZZ_CHECK(census_.engineThreads() == threadsRunning_, "%zu engine threads, %zu expected", census_.engineThreads(), threadsRunning_);
    census_.settle();
  }

  // The process's rig, built on first use and kept for every input (see above).
  static Rig& shared() {
    static Rig rig(HostOptions{});
    return rig;
  }

  // Before an input: guest memory back to its initial contents, the host as the input asks.
  Rig& begin(HostOptions options) {
    machine_.reset();
    host_.powerOn(options);
    heapBefore_ = heapBytes();
    return *this;
  }

  // After an input (its harness's objects gone): the power-on, then the check that it left the
  // state of a new engine.
  void end() {
    powerOn();
    checkHoldings();
    FUZZ_CHECK(reg(P::RegStatus) == P::StatusReady && reg(P::RegErrorCount) == 0 && reg(P::RegIrqMask) == 0, "registers not as after reset");
    FUZZ_CHECK(iosfc(P::IosfcMapped) == 0 && iosfc(P::IosfcErrorCode) == 0, "iosfc registers not as after reset");
    host_.checkIdle();
    FUZZ_CHECK(machine_.romIntact(), "the engine wrote into the read-only region");
    FUZZ_CHECK(census_.engineThreads() == threadsRunning_, "%zu engine threads, %zu while the engine runs", census_.engineThreads(), threadsRunning_);
    const size_t heap = heapBytes();
    FUZZ_CHECK(heap == heapBefore_, "the heap holds %lld bytes more than before the input", static_cast<long long>(heap) - static_cast<long long>(heapBefore_));
    if (std::getenv("PVG_FUZZ_VERBOSE") != nullptr) describe();
  }

  // The device actor's power-on record; done once a later access is served (the dispatcher waits).
  void powerOn() {
    enqueue(rec::InPowerOn, {});
    (void)reg(P::RegId);
  }

  ~Rig() {
    engine_->stop();
    engine_.reset();
    FUZZ_CHECK(machine_.romIntact(), "the engine wrote into the read-only region");
    // A joined thread leaves /proc/self/task at once; allow a moment anyway before calling it a leak.
    for (int i = 0; i < 100 && census_.engineThreads() > threadsBefore_; ++i) std::this_thread::sleep_for(1ms);
    FUZZ_CHECK(census_.engineThreads() <= threadsBefore_, "%zu engine threads after the engine stopped, %zu before", census_.engineThreads(), threadsBefore_);
  }
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  // One MMIO access as a vCPU makes it; reads return the 64-bit completion value.
  uint64_t read(uint32_t window, uint64_t offset, uint32_t size) {
    const uint32_t id = port_.beginRead();
    const uint32_t args[7] = {window, lo(offset), hi(offset), size, 0, 0, id};
    enqueue(rec::InMmioRead, args);
    reads_++;
    return port_.waitRead();
  }
  void write(uint32_t window, uint64_t offset, uint32_t size, uint64_t value) {
    const uint32_t args[7] = {window, lo(offset), hi(offset), size, lo(value), hi(value), 0};
    enqueue(rec::InMmioWrite, args);
    port_.waitWrites(++writes_);
  }
  uint32_t reg(uint32_t offset) { return static_cast<uint32_t>(read(rec::WindowGfx, offset, 4)); }
  void setReg(uint32_t offset, uint32_t value) { write(rec::WindowGfx, offset, 4, value); }
  uint32_t iosfc(uint32_t offset) { return static_cast<uint32_t>(read(rec::WindowIosfc, offset, 4)); }
  void setIosfc(uint32_t offset, uint32_t value) { write(rec::WindowIosfc, offset, 4, value); }

  // The device actor's reset record; done once a later access is served (the dispatcher waits).
  void hostReset() {
    enqueue(rec::InReset, {});
    (void)reg(P::RegId);
  }
  // A compositor's encode request (display 0 or a bad display; display 1 is the barrier's).
  void encode(uint32_t display, uint32_t surface, uint32_t generation, engine::Rect r) {
    FUZZ_CHECK(display != 1, "display 1 is reserved for barriers");
    host_.askedEncode(display);
    const uint32_t args[7] = {display, surface, generation, r.x, r.y, r.w, r.h};
    enqueue(rec::InEncode, args);
  }
  // Returns once the ring executor has served display 1's queue after this call (see above).
  void barrier() {
    const uint64_t before = host_.barriers();
    host_.askedEncode(1);
    const uint32_t args[7] = {1, 0, FakeHost::kBarrierGeneration, 0, 0, 1, 1};
    enqueue(rec::InEncode, args);
    FUZZ_CHECK(host_.waitBarriers(before, kStepLimit), "the ring executor never answered the barrier");
  }
  // DOORBELL = tail. payload: the running ring's payload bytes as the harness knows them (0: no
  // ring). A tail the engine accepts is waited for until consumed; then the barrier.
  void doorbell(uint32_t tail, uint32_t payload) {
    setReg(P::RegDoorbell, tail);
    barrier();
    if (payload == 0 || tail >= payload || tail % 4 != 0) return;  // refused: nothing to consume
    // Barriers, not polling, until the head is there (a poll would compete with the executor for
    // the CPU); then one more, for the pass that got there to finish.
    const auto deadline = std::chrono::steady_clock::now() + kStepLimit;
    for (uint32_t head; (head = reg(P::RegRingHead)) != tail; barrier()) {
      FUZZ_CHECK(std::chrono::steady_clock::now() < deadline, "ring not consumed: head %u, doorbell %u", head, tail);
    }
    barrier();
  }

  // Guest-visible errors the engine counted (every kind), for checking ERROR_COUNT against.
  uint64_t errorTotal() const {
    uint64_t n = 0;
    for (uint64_t e : engine_->stats().errors) n += e;
    return n;
  }
  uint64_t readsSent() const { return reads_; }
  uint64_t writesSent() const { return writes_; }
  uint8_t* ram(uint64_t gpa) { return machine_.ram(gpa); }
  FakeHost& host() { return host_; }
  engine::SoftEngine& engine() { return *engine_; }

 private:
  // What the engine holds after a power-on: a new engine's state (its own scope: the vector it
  // reads into is freed before end() compares the heap).
  void checkHoldings() {
    const engine::EngineHoldings h = engine_->holdings();
    FUZZ_CHECK(h.contexts == 0 && h.tasks == 0 && !h.ringRunning, "after power-on: %zu contexts, %zu tasks, ring %s", h.contexts, h.tasks,
               h.ringRunning ? "running" : "stopped");
    FUZZ_CHECK((h.ringGpaLo | h.ringGpaHi | h.ringSize | h.doorbellTail | h.ringHead | h.displaySelect | h.modeSelect) == 0,
               "after power-on: ring registers 0x%x 0x%x %u, doorbell %u, head %u, selects %u %u", h.ringGpaLo, h.ringGpaHi, h.ringSize, h.doorbellTail,
               h.ringHead, h.displaySelect, h.modeSelect);
    for (size_t i = 0; i < h.displays.size(); ++i) {
      const engine::EngineHoldings::Display& d = h.displays[i];
      FUZZ_CHECK(d.mode == -1 && d.modeForRegisters == -1 && d.generation == 0 && d.frameSeq == 0,
                 "after power-on, display %zu: mode %d (registers %d), generation %u, frame %u", i, d.mode, d.modeForRegisters, d.generation, d.frameSeq);
      FUZZ_CHECK(d.framePixels == 0 && d.damageRects == 0 && d.pendingEncodes == 0 && !d.drawnSincePresent,
                 "after power-on, display %zu: %zu frame pixels, %zu damage rectangles, %zu encodes waiting%s", i, d.framePixels, d.damageRects,
                 d.pendingEncodes, d.drawnSincePresent ? ", drawn since present" : "");
      FUZZ_CHECK(!d.cursorVisible && d.cursorX == 0 && d.cursorY == 0, "after power-on, display %zu: cursor %s at %d,%d", i,
                 d.cursorVisible ? "shown" : "hidden", d.cursorX, d.cursorY);
    }
  }
  // What the runs so far did (the counts add up over the process's inputs), for reading what an
  // input (a seed, a crash) exercises.
  void describe() {
    const engine::EngineStats s = engine_->stats();
    std::fprintf(
        stderr, "run: %llu reads, %llu writes, %llu commands, %llu presents, %llu fences, %llu encodes, %llu bad accesses, %llu host refusals; errors by code:",
        ull(s.mmioReads), ull(s.mmioWrites), ull(s.commands), ull(s.presents), ull(s.fences), ull(s.encodes), ull(s.badRegisterAccesses),
        ull(host_.refusals()));
    for (uint32_t k = 1; k < P::kErrorKinds; ++k) {
      if (s.errors[k] != 0) std::fprintf(stderr, " %u×%llu", k, ull(s.errors[k]));
    }
    std::fprintf(stderr, "\n");
  }
  static unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }
  static uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
  static uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
  void enqueue(uint32_t kind, std::span<const uint32_t> args) {
    FUZZ_CHECK(inbound_->enqueue(kind, args, 1'000'000'000) == EnqueueResult::Ok, "inbound mailbox refused record %u", kind);
#ifdef PVG_ENGINE_INLINE
    engine_->dispatchPending();  // the dispatcher's work, here and now
#endif
  }

  Machine& machine_;
  ThreadCensus census_;  // before threadsBefore_, which it counts
  const size_t threadsBefore_;
  size_t threadsRunning_ = 0, heapBefore_ = 0;
  FakeHost host_;
  MmioPort port_;
  std::optional<MailboxRef> inbound_;
  std::unique_ptr<engine::SoftEngine> engine_;
  uint64_t reads_ = 0, writes_ = 0;
};
// A persistent target's LLVMFuzzerTestOneInput: the input's first byte configures the host, the
// shared rig is put back for it, `body` runs it, and end() checks nothing was left behind.
template <typename Body>
int runOneInput(const uint8_t* data, size_t size, Body body) {
  Input in(data, size);
  const uint8_t config = in.u8();
  Rig& rig = Rig::shared().begin(readHostOptions(in, config));
  body(rig, in, config);
  rig.end();
  return 0;
}
}  // namespace pvg::fuzz
