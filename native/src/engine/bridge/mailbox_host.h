// The host side of the contract for this project: every callback becomes a record in the device
// actor's mailbox; a callback that returns something waits on a reply slot of the engine's own
// reply table. Where the VM says so (the actor model), the display events that need no answer —
// a new frame, an encode's completion, a mode, the cursor's visibility and position — go straight
// into the compositor's mailbox instead (a mode change to both), one hand-off instead of two
// (docs/scaling.md); so do its interrupts, which it then delivers itself through the VM's
// interrupt table (direct_interrupts.h). MMIO completions go straight to the vCPU: a read's value into the vCPU's reply
// slot (in the VM's table), a posted write's completion into the vCPU's completion counter.
// No JavaScript ever runs on these threads.
#pragma once
#include <atomic>
#include <cstdint>
#include <optional>

#include "abi/engine_records.h"
#include "core/mailbox.h"
#include "core/reply_slot.h"
#include "engine/bridge/direct_interrupts.h"
#include "engine/bridge/latency_histogram.h"
#include "engine/contract.h"
#include "engine/threads/tracer.h"

namespace pvg::engine {
struct MailboxHostConfig {
  MailboxRef device;      // the device actor's mailbox
  ReplyTableRef replies;  // the engine's reply table (slots for callbacks that answer)
  uint32_t firstSlot = 0, slotCount = 0;
  ReplyTableRef vcpuReplies;           // the VM's reply table, where vCPUs wait for MMIO reads
  int32_t* writeCompletion = nullptr;  // per-vCPU completion counters (abi/mmio_completion_layout.h)
  uint32_t vcpus = 0;
  int64_t callbackTimeoutNs = -1;        // the watchdog: a callback unanswered this long fails
  EngineTracer* tracer = nullptr;        // spans of callbacks, instants of posted events (none if null)
  std::optional<MailboxRef> compositor;  // display events go here directly when set
  uint32_t deviceIndex = 0;              // this device's index in compositor records
  // The engine raises its interrupts itself when set (the actor model; direct_interrupts.h).
  std::optional<DirectInterruptsConfig> interrupts;
};

class MailboxHost final : public HostCallbacks, public MmioCompleter {
 public:
  explicit MailboxHost(const MailboxHostConfig& config) : c_(config) {
    if (c_.interrupts) direct_.emplace(*c_.interrupts);
  }

  // Releases every engine thread waiting for an answer, now and later (engine shutdown).
  void shutdown();
  uint64_t unavailable() const { return unavailable_.load(); }
  // Round trips of the callbacks the host answered (engine thread → device actor → engine
  // thread: from just before the record is posted until the answer is seen), in ns.
  const LatencyHistogram& callbackLatency() const { return latency_; }

  CreatedTask createTask(uint64_t vmSize) override;
  HostStatus destroyTask(uint32_t task) override;
  HostStatus mapMemory(uint32_t task, uint64_t virtualOffset, bool readOnly, std::span<const PhysicalRange> ranges) override;
  HostStatus unmapMemory(uint32_t task, uint64_t virtualOffset, uint64_t length) override;
  HostStatus readMemory(uint64_t gpa, uint64_t length, uint8_t* dst) override;
  void raiseInterrupt(uint32_t vector) override;
  void newFrame(uint32_t display, uint32_t frameSeq) override;
  void modeChange(uint32_t display, uint32_t width, uint32_t height, uint32_t pixelFormat, uint32_t modeIndex, uint32_t generation) override;
  void cursorGlyph(uint32_t display, std::span<const uint32_t> argb, uint32_t width, uint32_t height, uint32_t hotX, uint32_t hotY) override;
  void cursorShow(uint32_t display, bool show) override;
  void cursorMove(uint32_t display, int32_t x, int32_t y) override;
  void encodeDone(uint32_t display, uint32_t surface, uint32_t generation, uint32_t status, uint32_t frameSeq, uint32_t damageCount) override;
  HostStatus iosfcMapMemory(uint32_t surface, uint64_t gpa, uint64_t length, bool readOnly) override;
  HostStatus iosfcUnmapMemory(uint32_t surface) override;
  void iosfcRaiseInterrupt(uint32_t vector) override;

  void readDone(const MmioTicket& ticket, uint64_t value) override;
  void writeDone(const MmioTicket& ticket) override;

 private:
  struct Answer {
    HostStatus status = HostStatus::Unavailable;
    std::array<uint32_t, 12> values{};
  };
  // Posts a callback record (a rec::out struct; its thread, slot and id are filled in here) and
  // waits for its answer. The payload is written into the slot before the record is posted, and
  // read back by `readPayload`.
  template <typename Record>
  Answer call(Record record, std::span<const uint8_t> payload = {}, std::span<uint8_t> readPayload = {});
  // Posts an event record (a rec::out struct; its thread is filled in here).
  template <typename Record>
  void post(Record record);
  // A display event: to the compositor when it is configured (then traced as `record` would
  // be), else `record` to the device actor.
  template <typename Record, typename ForCompositor>
  void postDisplayEvent(Record record, ForCompositor forCompositor);
  // Enqueues a record that needs no answer, waiting out back-pressure in slices so that the
  // engine stopping releases this thread even when the consumer never drains again (a hung or
  // terminated actor: its worker's teardown joins this thread). False if it was not posted.
  bool enqueueUntilDown(MailboxRef& box, uint32_t kind, std::span<const uint32_t> words);
  template <typename Record>
  void traceEvent(const Record& record, const rec::Args& words);
  // Traces a raise routed on this thread as the device actor traces one it routes.
  void traceDirect(trace::Event raised, uint32_t vector, const DirectRaise& r);
  std::optional<uint32_t> takeSlot();
  void giveSlot(uint32_t slot);

  MailboxHostConfig c_;
  std::atomic<uint64_t> freeSlots_{~0ull};  // bit i: slot firstSlot + i is free
  std::atomic<bool> down_{false};
  std::atomic<uint64_t> unavailable_{0};
  LatencyHistogram latency_;
  std::optional<DirectInterrupts> direct_;
};
}  // namespace pvg::engine
