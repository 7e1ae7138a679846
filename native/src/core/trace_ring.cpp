#include "core/trace_ring.h"

#include <atomic>
#include <bit>
#include <cstring>

#include "core/clock.h"

namespace pvg {
using namespace trace;
static_assert(std::endian::native == std::endian::little, "the SAB formats are little-endian");

namespace {
// Data fields are u64 bit patterns behind atomic_ref so concurrent copies are not data races.
// Release stores / acquire loads instead of relaxed + fences: equally cheap on x86, correct on
// weak memory, and visible to TSan (which ignores standalone fences).
std::atomic_ref<uint64_t> ref64(uint8_t* p) { return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(p)); }
std::atomic_ref<int32_t> ref32(uint8_t* p) { return std::atomic_ref<int32_t>(*reinterpret_cast<int32_t*>(p)); }
std::atomic_ref<int32_t> word(int32_t* p) { return std::atomic_ref<int32_t>(*p); }
uint32_t u32(int32_t v) { return static_cast<uint32_t>(v); }
int32_t i32(uint32_t v) { return static_cast<int32_t>(v); }
bool isPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }
constexpr uint32_t kMaxRings = 1u << 16;
constexpr uint32_t kMaxEvents = 1u << 24;

uint8_t* eventAt(const TraceRingSpan& ring, uint32_t n) { return ring.base + kRingHeaderBytes + size_t{n & (ring.events - 1)} * kEventBytes; }
}  // namespace

std::optional<TraceRingSpan> locateTraceRing(int32_t* setWords, size_t lengthWords, uint32_t ring) {
  // 8-byte alignment for the f64 fields' atomic_ref; a SAB's own base always has it.
  if (setWords == nullptr || reinterpret_cast<uintptr_t>(setWords) % 8 != 0) return std::nullopt;
  if (lengthWords < kSetHeaderBytes / 4) return std::nullopt;
  if (word(setWords + kSetMagicWord).load() != kMagic) return std::nullopt;
  uint32_t rings = u32(word(setWords + kSetRingCountWord).load());
  uint32_t events = u32(word(setWords + kSetEventsPerRingWord).load());
  if (rings == 0 || rings > kMaxRings || !isPowerOfTwo(events) || events > kMaxEvents) return std::nullopt;
  if (ring >= rings || uint64_t{lengthWords} * 4 < setBytes(rings, events)) return std::nullopt;
  auto* base = reinterpret_cast<uint8_t*>(setWords) + kSetHeaderBytes + size_t{ring} * ringBytes(events);
  return TraceRingSpan{base, events};
}

bool initializeTraceSet(int32_t* setWords, size_t lengthWords, uint32_t rings, uint32_t eventsPerRing) {
  if (setWords == nullptr || rings == 0 || rings > kMaxRings) return false;
  if (!isPowerOfTwo(eventsPerRing) || eventsPerRing > kMaxEvents) return false;
  uint64_t bytes = setBytes(rings, eventsPerRing);
  if (uint64_t{lengthWords} * 4 < bytes) return false;
  for (uint64_t i = 0; i < bytes / 4; ++i) word(setWords + i).store(0, std::memory_order_relaxed);
  word(setWords + kSetRingCountWord).store(i32(rings));
  word(setWords + kSetEventsPerRingWord).store(i32(eventsPerRing));
  word(setWords + kSetMagicWord).store(kMagic);  // last: a valid magic means a complete header
  return true;
}

std::optional<TraceRingWriter> TraceRingWriter::attach(int32_t* setWords, size_t lengthWords, uint32_t ring) {
  auto span = locateTraceRing(setWords, lengthWords, ring);
  if (!span) return std::nullopt;
  ref32(span->base + kRingThreadIdWord * 4).store(i32(currentThreadId()));
  // Continue after whatever an earlier writer of this ring left, so readers see one sequence.
  uint32_t next = u32(ref32(span->base + kRingWrittenWord * 4).load());
  return TraceRingWriter(*span, next, setWords + kSetPausedWord);
}

void TraceRingWriter::write(Event id, Phase phase, double tsUs, double durUs, double a0, double a1, double a2) {
  if (std::atomic_ref<int32_t>(*paused_).load(std::memory_order_relaxed) != 0) return;
  uint32_t n = next_++;
  uint8_t* ev = eventAt(ring_, n);
  auto seq = ref32(ev + kEventSequenceByte);
  seq.store(i32(2 * n + 1));  // odd: being written
  constexpr auto rel = std::memory_order_release;
  ref64(ev + kEventTimestampByte).store(std::bit_cast<uint64_t>(tsUs), rel);
  ref64(ev + kEventDurationByte).store(std::bit_cast<uint64_t>(durUs), rel);
  ref64(ev + kEventArg0Byte).store(std::bit_cast<uint64_t>(a0), rel);
  ref64(ev + kEventArg1Byte).store(std::bit_cast<uint64_t>(a1), rel);
  ref64(ev + kEventArg2Byte).store(std::bit_cast<uint64_t>(a2), rel);
  // u16 id and u8 phase (and the reserved byte) share one little-endian word.
  uint32_t idPhase = uint32_t{static_cast<uint16_t>(id)} | uint32_t{static_cast<uint8_t>(phase)} << 16;
  ref32(ev + kEventIdByte).store(i32(idPhase), rel);
  seq.store(i32(2 * n + 2));  // even: complete
  ref32(ring_.base + kRingWrittenWord * 4).store(i32(n + 1));
}

std::optional<TraceRingReader> TraceRingReader::attach(int32_t* setWords, size_t lengthWords, uint32_t ring) {
  auto span = locateTraceRing(setWords, lengthWords, ring);
  if (!span) return std::nullopt;
  return TraceRingReader(*span);
}

uint32_t TraceRingReader::written() const { return u32(ref32(ring_.base + kRingWrittenWord * 4).load()); }
uint32_t TraceRingReader::threadId() const { return u32(ref32(ring_.base + kRingThreadIdWord * 4).load()); }

TraceRingReader::Read TraceRingReader::read(uint32_t n, TraceEventData& out) const {
  uint8_t* ev = eventAt(ring_, n);
  auto seq = ref32(ev + kEventSequenceByte);
  uint32_t want = 2 * n + 2;
  uint32_t before = u32(seq.load());
  if (before != want) {
    return static_cast<int32_t>(before - want) > 0 ? Read::Overwritten : Read::NotWritten;
  }
  constexpr auto acq = std::memory_order_acquire;
  out.tsUs = std::bit_cast<double>(ref64(ev + kEventTimestampByte).load(acq));
  out.durUs = std::bit_cast<double>(ref64(ev + kEventDurationByte).load(acq));
  out.arg0 = std::bit_cast<double>(ref64(ev + kEventArg0Byte).load(acq));
  out.arg1 = std::bit_cast<double>(ref64(ev + kEventArg1Byte).load(acq));
  out.arg2 = std::bit_cast<double>(ref64(ev + kEventArg2Byte).load(acq));
  uint32_t idPhase = u32(ref32(ev + kEventIdByte).load(acq));
  out.id = static_cast<uint16_t>(idPhase & 0xFFFF);
  out.phase = static_cast<uint8_t>((idPhase >> 16) & 0xFF);
  // If any load above saw a newer writer's store, acquiring it makes that writer's odd
  // sequence visible here, so a torn copy never passes this check.
  return u32(seq.load()) == want ? Read::Ok : Read::Overwritten;
}
}  // namespace pvg
