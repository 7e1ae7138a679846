#include "engine/bridge/mailbox_host.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/clock.h"
#include "core/deadline.h"
#include "core/futex.h"
#include "abi/mmio_completion_layout.h"
#include "abi/compositor_records.h"
#include "abi/engine_records.h"
#include "engine/threads/job_queue.h"

namespace pvg::engine {
namespace {
constexpr int kSpin = 4000;
constexpr int64_t kSliceNs = 100'000'000;  // a waiting thread re-checks shutdown this often
constexpr int32_t kRefused = static_cast<int32_t>(reply::ErrorCode::Refused);

uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
uint32_t thread() { return static_cast<uint32_t>(currentEngineThread()); }

// The trace event of each record kind (QEMU's apple_gfx_* names where they correspond).
trace::Event eventFor(uint32_t kind) {
  switch (kind) {
    case rec::OutCreateTask:
      return trace::Event::apple_gfx_create_task;
    case rec::OutDestroyTask:
      return trace::Event::apple_gfx_destroy_task;
    case rec::OutMapMemory:
      return trace::Event::apple_gfx_map_memory;
    case rec::OutUnmapMemory:
      return trace::Event::apple_gfx_unmap_memory;
    case rec::OutReadMemory:
      return trace::Event::apple_gfx_read_memory;
    case rec::OutRaiseInterrupt:
      return trace::Event::apple_gfx_raise_irq;
    case rec::OutNewFrame:
      return trace::Event::apple_gfx_new_frame;
    case rec::OutModeChange:
      return trace::Event::apple_gfx_mode_change;
    case rec::OutCursorGlyph:
      return trace::Event::apple_gfx_cursor_set;
    case rec::OutCursorShow:
      return trace::Event::apple_gfx_cursor_show;
    case rec::OutCursorMove:
      return trace::Event::apple_gfx_cursor_move;
    case rec::OutIosfcMap:
      return trace::Event::apple_iosfc_map_memory;
    case rec::OutIosfcUnmap:
      return trace::Event::apple_iosfc_unmap_memory;
    case rec::OutIosfcInterrupt:
      return trace::Event::apple_iosfc_raise_irq;
    default:
      return trace::Event::engine_encode;  // OutEncodeDone
  }
}
}  // namespace

void MailboxHost::shutdown() {
  down_.store(true);
  c_.replies.failAllPending(static_cast<int32_t>(reply::ErrorCode::Shutdown));
}

std::optional<uint32_t> MailboxHost::takeSlot() {
  const uint64_t usable = c_.slotCount >= 64 ? ~0ull : (1ull << c_.slotCount) - 1;
  for (int attempt = 0; !down_.load(); ++attempt) {
    uint64_t free = freeSlots_.load() & usable;
    while (free != 0) {
      const int bit = __builtin_ctzll(free);
      if (freeSlots_.fetch_and(~(1ull << bit)) & (1ull << bit)) return c_.firstSlot + static_cast<uint32_t>(bit);
      free = freeSlots_.load() & usable;
    }
    std::this_thread::yield();  // more threads than slots is a configuration mistake; don't spin hot
  }
  return std::nullopt;
}

void MailboxHost::giveSlot(uint32_t slot) { freeSlots_.fetch_or(1ull << (slot - c_.firstSlot)); }

template <typename Record>
MailboxHost::Answer MailboxHost::call(Record record, std::span<const uint8_t> payload, std::span<uint8_t> readPayload) {
  constexpr uint32_t kind = Record::kKind;
  Answer answer;
  if (payload.size() > c_.replies.payloadBytes() || readPayload.size() > c_.replies.payloadBytes()) {
    answer.status = HostStatus::Refused;
    return answer;
  }
  std::optional<uint32_t> slot = takeSlot();
  if (!slot) {
    unavailable_.fetch_add(1);
    return answer;
  }
  std::optional<uint32_t> id = c_.replies.beginNext(*slot, payload);
  record.thread = thread();
  record.slot = *slot;
  record.id = static_cast<int32_t>(id.value_or(0));
  rec::Args words{};
  record.pack(words);
  const int64_t posted = monotonicNanos();
  // The watchdog counts from here, to the nanosecond: a device actor that stopped draining its
  // mailbox is as stuck as one that does not answer. Each wait slice ends early at the deadline.
  const Deadline overdueAt(c_.callbackTimeoutNs);
  const auto nextSlice = [&] {
    const int64_t left = overdueAt.remainingNs();
    return left < 0 ? kSliceNs : std::min(left, kSliceNs);
  };
  EnqueueResult sent = EnqueueResult::TimedOut;
  while (id) {
    sent = c_.device.enqueue(kind, std::span<const uint32_t>(words.data(), Record::kWords), nextSlice());
    if (sent != EnqueueResult::TimedOut || down_.load() || overdueAt.expired()) break;
  }
  if (!id || sent != EnqueueResult::Ok) {
    c_.replies.cancel(*slot);
    giveSlot(*slot);
    unavailable_.fetch_add(1);
    return answer;
  }
  for (;;) {
    ReplyResult r = c_.replies.wait(*slot, kSpin, nextSlice());
    if (r.status == ReplyStatus::Replied) {
      latency_.record(monotonicNanos() - posted);
      answer.status = HostStatus::Ok;
      std::copy_n(r.values.begin(), answer.values.size(), answer.values.begin());
      if (!readPayload.empty()) std::memcpy(readPayload.data(), c_.replies.payload(*slot).data(), readPayload.size());
      break;
    }
    if (r.status == ReplyStatus::Error) {
      if (r.errorCode == kRefused) latency_.record(monotonicNanos() - posted);  // answered, with a refusal
      answer.status = r.errorCode == kRefused ? HostStatus::Refused : HostStatus::Unavailable;
      break;
    }
    if (r.status != ReplyStatus::TimedOut || down_.load() || overdueAt.expired()) {
      c_.replies.cancel(*slot);
      answer.status = HostStatus::Unavailable;
      break;
    }
  }
  if (answer.status == HostStatus::Unavailable) unavailable_.fetch_add(1);
  giveSlot(*slot);
  if (c_.tracer) {
    const double start = static_cast<double>(posted) / 1000.0;
    const double end = EngineTracer::now();
    // The first field after (thread, slot, id), as the device actor's span of the callback has it.
    c_.tracer->complete(eventFor(kind), start, end, Record::kWords > 3 ? words[3] : 0, static_cast<double>(answer.status));
    // The arrow: from this wait to the device actor's handling (a step there) and back, its ends
    // just inside the span Perfetto binds them to.
    const double flowId = c_.tracer->callbackFlowId(*slot, id.value_or(0));
    c_.tracer->flow(trace::Phase::FlowStart, flowId, start + EngineTracer::kFlowInsetUs);
    c_.tracer->flow(trace::Phase::FlowEnd, flowId, end - EngineTracer::kFlowInsetUs);
  }
  return answer;
}

bool MailboxHost::enqueueUntilDown(MailboxRef& box, uint32_t kind, std::span<const uint32_t> words) {
  EnqueueResult sent = EnqueueResult::TimedOut;
  while (sent == EnqueueResult::TimedOut && !down_.load()) sent = box.enqueue(kind, words, kSliceNs);
  return sent == EnqueueResult::Ok;
}

template <typename Record>
void MailboxHost::post(Record record) {
  constexpr uint32_t kind = Record::kKind;
  if (down_.load()) return;
  record.thread = thread();
  rec::Args words{};
  record.pack(words);
  if (!enqueueUntilDown(c_.device, kind, std::span<const uint32_t>(words.data(), Record::kWords))) unavailable_.fetch_add(1);
  traceEvent(record, words);
}

template <typename Record, typename ForCompositor>
void MailboxHost::postDisplayEvent(Record record, ForCompositor forCompositor) {
  if (!c_.compositor) return post(record);
  if (down_.load()) return;
  record.thread = thread();
  forCompositor.device = c_.deviceIndex;
  display_events::Args words{};
  forCompositor.pack(words);
  // A full compositor mailbox makes this thread wait, as a full device mailbox does: the
  // compositor never waits for an engine, so the wait-for graph stays acyclic (docs/design.md).
  // The compositor's mailbox closes only after every device has stopped: the engine stopping
  // is what releases this wait while the compositor hangs.
  if (!enqueueUntilDown(*c_.compositor, ForCompositor::kKind, std::span<const uint32_t>(words.data(), ForCompositor::kWords))) unavailable_.fetch_add(1);
  if (!c_.tracer) return;  // the device-actor record is packed only for the trace's arguments
  rec::Args traced{};
  record.pack(traced);
  traceEvent(record, traced);
}

template <typename Record>
void MailboxHost::traceEvent(const Record& record, const rec::Args& words) {
  if (!c_.tracer) return;
  // The record's first fields after the thread are the event's arguments (shared/trace/events.ts
  // TRACE_ARGS), except an encode's: (display, status, damage rects), as the encode's own span has them.
  if constexpr (std::is_same_v<Record, rec::out::EncodeDone>)
    c_.tracer->instant(eventFor(Record::kKind), record.display, record.status, record.damageCount);
  else
    c_.tracer->instant(eventFor(Record::kKind), words[1], words[2], words[3]);
}

CreatedTask MailboxHost::createTask(uint64_t vmSize) {
  Answer a = call(rec::out::CreateTask{.vmSize = vmSize});
  return CreatedTask{a.status, a.values[0], a.values[1] | (uint64_t{a.values[2]} << 32)};
}

HostStatus MailboxHost::destroyTask(uint32_t task) { return call(rec::out::DestroyTask{.task = task}).status; }

HostStatus MailboxHost::mapMemory(uint32_t task, uint64_t va, bool readOnly, std::span<const PhysicalRange> ranges) {
  using Range = rec::out::MapMemory::Range;
  std::vector<uint32_t> words(ranges.size() * Range::kWords);
  for (size_t i = 0; i < ranges.size(); ++i) Range{.gpa = ranges[i].gpa, .length = ranges[i].length}.pack(words, i);
  const auto bytes = std::as_bytes(std::span(words));
  return call(rec::out::MapMemory{.task = task, .va = va, .readOnly = readOnly, .count = static_cast<uint32_t>(ranges.size())},
              std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()))
      .status;
}

HostStatus MailboxHost::unmapMemory(uint32_t task, uint64_t va, uint64_t length) {
  return call(rec::out::UnmapMemory{.task = task, .va = va, .length = length}).status;
}

HostStatus MailboxHost::readMemory(uint64_t gpa, uint64_t length, uint8_t* dst) {
  if (length > c_.replies.payloadBytes()) return HostStatus::Refused;
  return call(rec::out::ReadMemory{.gpa = gpa, .length = static_cast<uint32_t>(length)}, {}, std::span(dst, length)).status;
}

void MailboxHost::traceDirect(trace::Event raised, uint32_t vector, const DirectRaise& r) {
  if (!c_.tracer) return;
  c_.tracer->instant(raised, vector);
  // As shared/irq/interrupt-table.ts traces them: irq_msi (address, data, vCPU or -1 invalid,
  // -2 unknown vCPU), then irq_deliver (vCPU, vector, line or -1 for an MSI) when it reached one.
  const IrqOutcome& o = r.outcome;
  if (r.msi && !r.dropped) {
    const double target = o.kind == IrqOutcome::Invalid ? -1 : o.kind == IrqOutcome::UnknownTarget ? -2 : o.vcpu;
    c_.tracer->instant(trace::Event::irq_msi, static_cast<double>(r.address), r.data, target);
  }
  if (o.kind == IrqOutcome::Delivered || o.kind == IrqOutcome::Coalesced)
    c_.tracer->instant(trace::Event::irq_deliver, o.vcpu, o.vector, r.msi ? -1 : static_cast<double>(r.line));
}

void MailboxHost::raiseInterrupt(uint32_t vector) {
  // Under the actor model, on this thread: the cause is already in IRQ_STATUS and every callback
  // before it was answered, so the interrupt cannot overtake what it announces.
  if (direct_ && !down_.load()) {
    const DirectRaise r = direct_->raiseGfx(vector);
    if (r.handled) return traceDirect(trace::Event::apple_gfx_raise_irq, vector, r);
  }
  post(rec::out::RaiseInterrupt{.vector = vector});
}
void MailboxHost::newFrame(uint32_t display, uint32_t frameSeq) {
  // Where the compositor's new frame → shown latency starts, whichever way the event goes (frame-latency.ts).
  const auto stamp = static_cast<uint32_t>(static_cast<uint64_t>(monotonicNanos() / 1000));
  postDisplayEvent(rec::out::NewFrame{.display = display, .frameSeq = frameSeq, .stamp = stamp},
                   display_events::compositor::NewFrame{.display = display, .frameSeq = frameSeq, .stamp = stamp});
}

void MailboxHost::modeChange(uint32_t display, uint32_t width, uint32_t height, uint32_t pixelFormat, uint32_t modeIndex, uint32_t generation) {
  const rec::out::ModeChange record{
      .display = display, .width = width, .height = height, .pixelFormat = pixelFormat, .modeIndex = modeIndex, .generation = generation};
  // The device actor keeps each display's mode too (its stats): it gets the event either way.
  if (c_.compositor) post(record);
  postDisplayEvent(record, display_events::compositor::ModeChange{.display = display, .width = width, .height = height, .generation = generation});
}

void MailboxHost::cursorGlyph(uint32_t display, std::span<const uint32_t> argb, uint32_t width, uint32_t height, uint32_t hotX, uint32_t hotY) {
  const rec::out::CursorGlyph glyph{.display = display, .width = width, .height = height, .hotX = hotX, .hotY = hotY};
  // One word a pixel: the ARGB rows are the payload as they are, no packing.
  static_assert(rec::out::CursorGlyph::Pixel::kWords == 1);
  const auto bytes = std::as_bytes(argb.first(std::min<uint64_t>(argb.size(), glyph.payloadElements())));
  // Waits for the device actor to take the pixels out of the slot; then the glyph may go.
  call(glyph, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void MailboxHost::cursorShow(uint32_t display, bool show) {
  postDisplayEvent(rec::out::CursorShow{.display = display, .show = show}, display_events::compositor::CursorShow{.display = display, .visible = show});
}

void MailboxHost::cursorMove(uint32_t display, int32_t x, int32_t y) {
  postDisplayEvent(rec::out::CursorMove{.display = display, .x = x, .y = y}, display_events::compositor::CursorMove{.display = display, .x = x, .y = y});
}

void MailboxHost::encodeDone(uint32_t display, uint32_t surface, uint32_t generation, uint32_t status, uint32_t frameSeq, uint32_t damageCount) {
  postDisplayEvent(
      rec::out::EncodeDone{
          .display = display, .surface = surface, .generation = generation, .status = status, .frameSeq = frameSeq, .damageCount = damageCount},
      display_events::compositor::EncodeDone{.display = display, .generation = generation, .status = status, .frameSeq = frameSeq, .surface = surface});
}

HostStatus MailboxHost::iosfcMapMemory(uint32_t surface, uint64_t gpa, uint64_t length, bool readOnly) {
  return call(rec::out::IosfcMap{.surface = surface, .gpa = gpa, .length = static_cast<uint32_t>(std::min<uint64_t>(length, UINT32_MAX)), .readOnly = readOnly})
      .status;
}

HostStatus MailboxHost::iosfcUnmapMemory(uint32_t surface) { return call(rec::out::IosfcUnmap{.surface = surface}).status; }
void MailboxHost::iosfcRaiseInterrupt(uint32_t vector) {
  if (direct_ && !down_.load()) {
    const DirectRaise r = direct_->raiseIosfc();
    if (r.handled) return traceDirect(trace::Event::apple_iosfc_raise_irq, vector, r);
  }
  post(rec::out::IosfcInterrupt{.vector = vector});
}

void MailboxHost::readDone(const MmioTicket& t, uint64_t value) {
  const uint32_t values[2] = {lo(value), hi(value)};
  c_.vcpuReplies.reply(t.slot, t.requestId, values);
}

void MailboxHost::writeDone(const MmioTicket& t) {
  if (t.vcpu >= c_.vcpus || c_.writeCompletion == nullptr) return;
  int32_t* base = c_.writeCompletion + size_t{t.vcpu} * mmio::kWordsPerVcpu;
  std::atomic_ref<int32_t>(base[mmio::kCompletedWord]).fetch_add(1);
  if (std::atomic_ref<int32_t>(base[mmio::kWaitingWord]).load() != 0) futexWake(base + mmio::kCompletedWord, 1);
}
}  // namespace pvg::engine
