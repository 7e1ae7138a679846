// Trace events from the engine's threads: each engine thread writes into its own ring of the
// VM's trace-ring set (ring firstRing + thread index), so no two threads share a writer.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/trace_ring.h"
#include "engine/threads/job_queue.h"

namespace pvg::engine {
class EngineTracer {
 public:
  EngineTracer() = default;
  // words/length: the trace-ring set; threads: how many engine threads write.
  EngineTracer(int32_t* words, size_t length, uint32_t firstRing, unsigned threads) {
    writers_.resize(threads);
    for (unsigned t = 0; t < threads; ++t) writers_[t] = TraceRingWriter::attach(words, length, firstRing + t);
  }
  bool enabled() const { return !writers_.empty(); }

  static double now() { return monotonicMicros(); }

  void instant(trace::Event id, double a0 = 0, double a1 = 0, double a2 = 0) {
    if (TraceRingWriter* w = writer()) w->write(id, trace::Phase::Instant, now(), 0, a0, a1, a2);
  }
  void span(trace::Event id, double startUs, double a0 = 0, double a1 = 0, double a2 = 0) {
    if (TraceRingWriter* w = writer()) w->write(id, trace::Phase::Complete, startUs, now() - startUs, a0, a1, a2);
  }

 private:
  TraceRingWriter* writer() {
    const int t = currentEngineThread();
    if (t < 0 || static_cast<size_t>(t) >= writers_.size() || !writers_[t]) return nullptr;
    return &*writers_[t];
  }
  std::vector<std::optional<TraceRingWriter>> writers_;  // one per engine thread, each touched by that thread only
};
}  // namespace pvg::engine
