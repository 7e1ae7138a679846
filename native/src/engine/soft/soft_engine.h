// The `soft` backend: the PVG contract on its own native threads, rendering on the CPU.
//
// Threads, like the framework's GCD queues:
//  - the MMIO dispatcher (engine thread 0) takes requests from the inbound mailbox in FIFO order:
//    register reads and writes, encode requests, resets;
//  - the ring executor is a serial queue on the concurrent pool (threads 2…): one job at a time,
//    on whichever pool thread is free, processes ring commands, structural changes (ring start and
//    stop, reset) and encodes at present boundaries;
//  - task lanes: a run of task commands (context create/destroy, map, unmap, READ_MEM) is split by
//    context, and the lanes run at once on the executor's thread and pool helpers, each lane's
//    commands in ring order (task_batch.h). So createTask, destroyTask, mapMemory, unmapMemory
//    and readMemory come from several pool threads at once, as the framework's do (QEMU's
//    apple-gfx.m guards its task list with task_mutex for this reason). The executor waits for
//    the lanes, then reports their errors in ring order: every other command sees the ring as if
//    run one command at a time (docs/protocol.md §2, "Ordering");
//  - the display queue (thread 1) runs every display handler, in order.
// Host callbacks therefore arrive from several threads, and an MMIO access (RING_CONTROL, RESET,
// the iosfc COMMAND) makes synchronous callbacks before it completes.
// The dispatcher waits for a control it hands over, so the executor must not make it wait for a
// ring: a control waiting, or stop(), preempts the executor before its next command, inside a
// drawing command before its next band of rows, inside an encode before its next band of copy,
// and every task lane before its next command (preempted(); docs/hardening.md, finding 14).
// Wait-for edges (docs/design.md rule 3): dispatcher → executor (a control); executor → its lane
// helpers; helpers and executor → the host's answers; executor → its displays' GPU fences (the
// vulkan backend, docs/vulkan.md: the GPU waits for nobody). Helpers wait for nobody else.
#pragma once
#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/guest_memory.h"
#include "core/mailbox.h"
#include "engine/contract.h"
#include "abi/protocol.h"
#include "engine/render/draw.h"
#include "engine/soft/context_table.h"
#include "engine/soft/display.h"
#include "engine/soft/engine_state.h"
#include "engine/soft/iosfc.h"
#include "engine/soft/task_batch.h"
#include "engine/soft/task_memory.h"
#include "engine/threads/job_queue.h"
#include "engine/threads/tracer.h"

namespace pvg::engine {
struct SoftEngineConfig {
  struct Display {
    uint32_t port = 0, serial = 0;
    std::vector<DisplayMode> modes;
    SurfacePool surfaces;
    bool paced = false;               // presents on the mode's refresh ticks (SoftDisplay::paced)
    bool wholeFrameReadback = false;  // no damage: every encode copies the whole frame
  };
  std::vector<Display> displays;
  bool iosfc = true;  // the MMIO variant's IOSurface window
  unsigned poolThreads = 2;
  uint64_t maxContextBytes = 1ull << 30;
  /** Inbound-mailbox checks the MMIO dispatcher makes before it parks (docs/doorbells.md). */
  int dispatcherSpin = 2000;
  /** The VM's spin gate, shared with its actors (none: spin freely). */
  SpinGate spinGate;
  /** What map/unmap do where mappings already are: the host's rules (the device's mapSemantics). */
  MapSemantics mapSemantics = MapSemantics::Strict;
  /**
   * Makes each display's pixel store (frame_store.h); none: the soft backend's CPU frames. With
   * stores, the engine has a serial queue `pvg-gpu` (engine thread poolThreads + 2, the trace's
   * gpu track) where a store's asynchronous readbacks complete: `completions`.
   */
  std::function<std::unique_ptr<FrameStore>(uint32_t display, EngineTracer& tracer, JobQueue* completions)> frameStores;
};

// What the engine holds beyond its threads and fixed buffers, for checking that a power-on
// (rec::InPowerOn) left the state of a new engine: every field is 0, false or -1 then.
struct EngineHoldings {
  size_t contexts = 0, tasks = 0;
  bool ringRunning = false;
  uint32_t ringGpaLo = 0, ringGpaHi = 0, ringSize = 0, doorbellTail = 0, ringHead = 0;
  uint32_t displaySelect = 0, modeSelect = 0;
  struct Display {
    int32_t mode = -1, modeForRegisters = -1;
    uint32_t generation = 0, frameSeq = 0;
    size_t framePixels = 0, damageRects = 0, pendingEncodes = 0;
    bool drawnSincePresent = false, cursorVisible = false;
    int32_t cursorX = 0, cursorY = 0;
  };
  std::vector<Display> displays;
};

// What the engine is doing now, for the VM's pause (docs/lifecycle.md): it is quiescent when every
// record its inbound mailbox took is handled, no executor pass (ring, control, encode, task lanes
// and their callbacks) is scheduled or running, and no display job is queued or running.
struct EngineActivity {
  uint64_t recordsHandled = 0;
  bool executorBusy = false;
  size_t displayJobs = 0;
};

struct EngineStats {
  uint64_t mmioReads = 0, mmioWrites = 0, commands = 0, presents = 0, encodes = 0, fences = 0;
  uint64_t badRegisterAccesses = 0;
  // Drawing the pixel store refused because its device failed (a GPU backend), and why the first
  // time (frame_store.h; each such command is also the guest's HostRefused error).
  uint64_t deviceFaults = 0;
  StoreFault storeFault = StoreFault::None;
  // Paced presents that waited for a refresh tick; and ticks that passed with no present due
  // (the guest was late: a frame a vsync'd display shows twice).
  uint64_t vblankWaits = 0, vblankMissed = 0;
  // When the last paced present went out (monotonic µs, 0: none yet), read together with
  // vblankWaits: a rate over two reads is exact to the wake-up, whatever the reads' latency.
  double lastVblankUs = 0;
  std::array<uint64_t, proto::kErrorKinds> errors{};
};

class SoftEngine {
 public:
  // tracer: where the engine's threads write trace events (none if null).
  SoftEngine(const SoftEngineConfig& config, const GuestMemoryView& guest, MailboxRef inbound, HostCallbacks& host, MmioCompleter& completer,
             EngineTracer* tracer = nullptr);
  ~SoftEngine();
  SoftEngine(const SoftEngine&) = delete;
  SoftEngine& operator=(const SoftEngine&) = delete;

  // Stops every thread after the work already queued; idempotent. Host callbacks still waiting
  // must be released by the host side first (it fails their reply slots).
  void stop();
  EngineStats stats() const;
  EngineActivity activity() const;
  // What the engine holds now. Only while it is idle: no record in flight or queued, no ring pass
  // running (the executor's state is read without its serialisation). The fuzz rig calls it after
  // a power-on, between inputs.
  EngineHoldings holdings() const;
  // The engine's state as bytes (engine_state.h), and a saved state back into an engine at
  // power-on (a new one, or after rec::InPowerOn). Only while it is idle, as holdings(): at a
  // paused VM's quiescent point (docs/lifecycle.md), before the state's host side is restored and
  // before any record reaches it. loadState() checks the whole state against this engine's
  // configuration and guest memory first and refuses it (the error names the part and the reason)
  // with the engine left at power-on; it makes no host callback. Encodes the engine held are not
  // state: the compositor asks again.
  std::vector<uint8_t> saveState() const;
  EngineStateError loadState(std::span<const uint8_t> bytes);
  int32_t cursorX(uint32_t display) const;
  int32_t cursorY(uint32_t display) const;
  unsigned threadCount() const { return 2 + pool_.threads() + (gpuQueue_ ? gpuQueue_->threads() : 0); }
#ifdef PVG_ENGINE_INLINE
  // The inline engine (job_queue.h; the fuzz build only) has no dispatcher thread: this is its
  // work, on the calling thread, for every record the inbound mailbox holds now. The jobs those
  // records schedule run before it returns.
  void dispatchPending();
#endif

 private:
  friend class CommandProcessor;
  // MMIO dispatcher (thread 0).
  void dispatchLoop();
  // One inbound record; false for InStop (the dispatcher ends).
  bool handleRecord(const MailboxRecord& r);
  // One guest access of `size` bytes to a window (4, or 8 split into two 4-byte halves).
  uint64_t mmioRead(uint32_t window, uint64_t offset, uint32_t size);
  void mmioWrite(uint32_t window, uint64_t offset, uint32_t size, uint64_t value);
  // One 4-byte register; false when nothing answers at offset.
  bool readRegister(uint32_t window, uint64_t offset, uint32_t& value);
  bool writeRegister(uint32_t window, uint64_t offset, uint32_t value);
  uint32_t gfxRead(uint32_t offset);
  void gfxWrite(uint32_t offset, uint32_t value);
  void requestEncode(uint32_t display, const EncodeRequest& request);

  bool atPowerOn() const;  // holds nothing a new engine does not (loadState's precondition)

  // Ring executor (serial on the pool).
  enum class Control : uint32_t { None, StartRing, StopRing, Reset, PowerOn };
  void runOnExecutor(Control control);  // dispatcher: hand over, then wait for it to be done
  void scheduleExecutor();
  static void executorJob(void* self, const std::array<uint64_t, 4>&);
  void executorPass();
  void startRing();
  void stopRing();
  // Points ringIrqWord_ at the running ring's header word (executor, or a restore before any thread).
  void attachRingIrqWord();
  void reset();
  // RESET, then what RESET keeps (modes, frames, cursors, ring registers) back to a new engine's,
  // and the display queue drained (its handlers name the old state).
  void powerOn();
  void processCommands();
  // Copies the command at ring offset `at` (before `tail`) out of guest memory: header into
  // *header, the words after it into args. False with the error if it cannot be read or is malformed.
  bool fetchCommand(uint32_t at, uint32_t tail, uint32_t* header, uint32_t* args, proto::Error* error);
  // Task commands (task_batch.h): gathers the run of them at *head (the first, `header`, already
  // in command_), runs its lanes at once on the pool, commits their errors in ring order and
  // moves *head past the commands that ran.
  void runTaskBatch(uint32_t* head, uint32_t tail, uint32_t header);
  static void laneHelperJob(void* self, const std::array<uint64_t, 4>&);
  void workLanes();  // claims and runs lanes until none is left (executor and helpers)
  // Copies the damage since the last encode into the requested surface (at a present boundary).
  void serveEncodes(uint32_t display);
  // False when preempted before it was done: nothing is committed (no header, damage kept), and
  // the request is served again from the start later.
  bool encodeInto(SoftDisplay& display, const EncodeRequest& request, uint32_t* damageCount);
  // A store with an asynchronous readback (a GPU store): the copy starts here, on the executor,
  // and finishEncode answers it on the store's completion thread (soft_engine_encode.cpp). False:
  // the store could not start it (its device failed); the request is still first in line.
  bool beginEncode(uint32_t display, SoftDisplay& d, const EncodeRequest& request, std::vector<Rect> clips, double start);
  struct InFlightEncode;
  // Copy only the damage inside the requested region: the cost follows what changed. Per encode,
  // not kept: a kept list's capacity would outlive a power-on (the fuzz rig's heap check).
  static std::vector<Rect> damageClips(const SoftDisplay& d, Rect region);
  void finishEncode(uint32_t display, const InFlightEncode& encode, bool ok);
  void serveAllEncodes();
  // A paced display's present waits here for its next refresh tick (frame_clock.h), on the ring
  // executor: the ring stalls like a GPU queue on a vsync'd swap. A control or the engine's stop
  // ends the wait at once (the present then completes early).
  void waitForVblank(SoftDisplay& display);
  // True when the executor should put down what it is doing (docs/hardening.md, finding 14): a
  // control (ring start or stop, reset) waits, or the engine is stopping. The ring executor asks
  // between commands, drawing asks between bands of rows, an encode between bands of its copy.
  bool preempted() const { return preempt_.load(std::memory_order_relaxed) || stopped_.load(std::memory_order_relaxed); }

  // Errors and interrupts.
  // Sets `cause` in IRQ_STATUS and, while the ring runs, in the ring header's word (any thread).
  void latchCause(uint32_t cause);

 public:
  void guestError(proto::Error error);
  // The display's store failed on its device: the guest sees HostRefused, the stats say why.
  void deviceFault(const FrameStore& store);
  void raiseCause(uint32_t cause);
  void postDisplay(void (*fn)(void*, const std::array<uint64_t, 4>&), std::array<uint64_t, 4> args);

 private:
  SoftEngineConfig config_;
  const GuestMemoryView& guest_;
  MailboxRef inbound_;
  HostCallbacks& host_;
  MmioCompleter& completer_;
  EngineTracer noTracer_;
  EngineTracer& tracer_;
  TaskMemory tasks_;
  std::vector<std::unique_ptr<SoftDisplay>> displays_;
  std::unique_ptr<Iosfc> iosfc_;

  // Registers (dispatcher writes, executor reads, or the reverse: atomics).
  std::atomic<uint32_t> status_{proto::StatusReady};  // ready and running; STATUS.error is errorCode_ != 0
  // The error state: ERROR_CODE (and with it STATUS.error), ERROR_COUNT and IRQ_STATUS.error
  // change together under errorMutex_, which guestError (any thread) and ERROR_ACK and reset take,
  // so an acknowledgement falls wholly before or after an error report (docs/hardening.md,
  // finding 4). Register reads stay lock-free: they load one word each.
  std::mutex errorMutex_;
  std::atomic<uint32_t> errorCode_{0}, errorCount_{0};
  std::atomic<uint32_t> irqStatus_{0}, irqMask_{0};
  std::atomic<uint32_t> ringGpaLo_{0}, ringGpaHi_{0}, ringSize_{0};
  std::atomic<uint32_t> doorbellTail_{0}, ringHead_{0}, fenceCompleted_{0};
  uint32_t displaySelect_ = 0, modeSelect_ = 0;  // dispatcher only

  // Executor state.
  // By context number. While a task batch runs, each lane touches only its own context's entry;
  // otherwise only the executor touches them (context_table.h).
  ContextTable contexts_;
  bool ringRunning_ = false;
  uint32_t ringTask_ = 0;
  // The ring header's interrupt-cause word (docs/protocol.md §2), while the ring runs: set and
  // cleared on the executor with the ring, read by raisers on any thread. A raiser that loaded it
  // just before a stop ORs into RAM that stays the guest's (the SAB outlives the engine's threads).
  std::atomic<uint32_t*> ringIrqWord_{nullptr};
  uint32_t ringPayload_ = 0;                   // bytes after the header
  std::atomic<uint32_t> ringPayloadBytes_{0};  // the same, for the dispatcher's DOORBELL check (0: no ring)
  std::vector<uint32_t> command_;              // one command, copied out of guest memory before it is checked
  std::vector<uint8_t> scratch_;               // READ_MEM and BLIT bounce buffer (a batch holds at most one READ_MEM, last)
  std::vector<uint8_t> glyphScratch_;          // CURSOR_DEFINE source bitmap

  TaskBatch batch_;
  // The batch's helpers on the pool that have not finished yet; the executor waits for none
  // before it commits (under batchMutex_).
  std::mutex batchMutex_;
  std::condition_variable batchDone_;
  unsigned helpersLive_ = 0;

  std::atomic<bool> executorScheduled_{false};
  // Set with controlBusy_ when the dispatcher hands over a control, cleared when the executor
  // takes it (both under controlMutex_); read without the lock by preempted().
  std::atomic<bool> preempt_{false};
  // preempted(), for the drawing functions.
  struct Interrupt final : DrawInterrupt {
    explicit Interrupt(const SoftEngine& e) : engine(e) {}
    bool requested() const override { return engine.preempted(); }
    const SoftEngine& engine;
  };
  const Interrupt interrupt_{*this};
  std::atomic<uint64_t> encodeRequests_{0};     // encode requests queued so far (any display), and readbacks completed
  std::atomic<uint32_t> readbacksInFlight_{0};  // begun (beginEncode), not yet answered (activity(): not idle)
  std::atomic<uint64_t> recordsHandled_{0};     // inbound records the dispatcher finished (activity())
  std::mutex controlMutex_;
  std::condition_variable controlDone_;
  // Wakes the executor out of waitForVblank when a control arrives or the engine stops (with
  // controlMutex_, under which preempt_ is set).
  std::condition_variable vblankWake_;
  Control control_ = Control::None;
  bool controlBusy_ = false;

  struct Counters {
    std::atomic<uint64_t> mmioReads{0}, mmioWrites{0}, commands{0}, presents{0}, encodes{0}, fences{0};
    std::atomic<uint64_t> badRegisterAccesses{0};
    std::atomic<uint64_t> vblankMissed{0};
    std::atomic<uint64_t> deviceFaults{0};
    std::atomic<uint8_t> storeFault{0};
    std::array<std::atomic<uint64_t>, proto::kErrorKinds> errors{};
  } counters_;

  // Paced presents and when the last went out, as one pair (stats() reads both at once).
  mutable std::mutex vblankMutex_;
  uint64_t vblankWaits_ = 0;
  double lastVblankUs_ = 0;

  JobQueue displayQueue_;
  JobQueue pool_;
  std::unique_ptr<JobQueue> gpuQueue_;  // pvg-gpu: the stores' readback completions (only with frameStores)
  std::thread dispatcher_;
  std::atomic<bool> stopped_{false};
};
}  // namespace pvg::engine
