// Trace rings (docs/shared-memory.md, "Trace rings"): one writer per ring, readers anywhere.
// Each event is guarded by a seqlock sequence (2n+1 while writing event n, 2n+2 when done), so
// a reader can detect an event overwritten under it instead of reporting a torn one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "abi/trace_events.h"
#include "core/trace_layout.h"

namespace pvg {
struct TraceEventData {
  double tsUs = 0, durUs = 0, arg0 = 0, arg1 = 0, arg2 = 0;
  uint16_t id = 0;
  uint8_t phase = 0;
};

// Where ring `ring` of a set lives; nullopt when the set header or the bounds do not hold up.
struct TraceRingSpan {
  uint8_t* base;  // the ring header
  uint32_t events;
};
std::optional<TraceRingSpan> locateTraceRing(int32_t* setWords, size_t lengthWords, uint32_t ring);
// Lays out an empty ring set, as the TypeScript creator does (native tests).
bool initializeTraceSet(int32_t* setWords, size_t lengthWords, uint32_t rings, uint32_t eventsPerRing);

class TraceRingWriter {
 public:
  // Records the calling thread's OS id in the ring header: attach on the thread that writes.
  static std::optional<TraceRingWriter> attach(int32_t* setWords, size_t lengthWords, uint32_t ring);

  void write(trace::Event id, trace::Phase phase, double tsUs, double durUs, double a0, double a1, double a2);
  uint32_t written() const { return next_; }

 private:
  explicit TraceRingWriter(TraceRingSpan ring, uint32_t next, int32_t* paused) : ring_(ring), paused_(paused), next_(next) {}
  TraceRingSpan ring_;
  int32_t* paused_;  // the set's paused word
  uint32_t next_;    // the writer's own copy of the written count
};

class TraceRingReader {
 public:
  enum class Read { Ok, NotWritten, Overwritten };
  static std::optional<TraceRingReader> attach(int32_t* setWords, size_t lengthWords, uint32_t ring);

  uint32_t written() const;
  uint32_t threadId() const;
  uint32_t capacity() const { return ring_.events; }
  // Copies event n (0-based, u32 wrapping) if it is complete and still in the ring.
  Read read(uint32_t n, TraceEventData& out) const;

 private:
  explicit TraceRingReader(TraceRingSpan ring) : ring_(ring) {}
  TraceRingSpan ring_;
};
}  // namespace pvg
