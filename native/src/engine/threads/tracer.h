// Trace events from the engine's threads: each engine thread writes into its own ring of the
// VM's trace-ring set (ring firstRing + thread index), so no two threads share a writer.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "abi/flow_ids.h"
#include "core/clock.h"
#include "core/trace_ring.h"
#include "engine/threads/job_queue.h"

namespace pvg::engine {
class EngineTracer {
 public:
  EngineTracer() = default;
  // words/length: the trace-ring set; threads: how many engine threads write.
  EngineTracer(int32_t* words, size_t length, uint32_t firstRing, unsigned threads) : firstRing_(firstRing) {
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
  void complete(trace::Event id, double startUs, double endUs, double a0 = 0, double a1 = 0, double a2 = 0) {
    if (TraceRingWriter* w = writer()) w->write(id, trace::Phase::Complete, startUs, endUs - startUs, a0, a1, a2);
  }
  // How far inside its span a flow event goes (abi/flow_ids.h, shared/trace/flow-ids.ts FLOW_INSET_US).
  static constexpr double kFlowInsetUs = trace::kFlowInsetUs;
  // One end of a flow arrow (request → handler → answer), at tsUs inside the span it binds to.
  void flow(trace::Phase phase, double flowId, double tsUs) {
    if (TraceRingWriter* w = writer()) w->write(trace::Event::request, phase, tsUs, 0, flowId, 0, 0);
  }
  // The flow id of a vCPU's MMIO read (abi/flow_ids.h; the JS side computes the same).
  static double mmioFlowId(uint32_t vcpu, uint32_t id) { return trace::mmioFlowId(vcpu, id); }
  // The flow id of an engine callback (abi/flow_ids.h; the JS side computes the same).
  double callbackFlowId(uint32_t slot, uint32_t id) const { return trace::callbackFlowId(firstRing_, slot, id); }

 private:
  TraceRingWriter* writer() {
    const int t = currentEngineThread();
    if (t < 0 || static_cast<size_t>(t) >= writers_.size() || !writers_[t]) return nullptr;
    return &*writers_[t];
  }
  uint32_t firstRing_ = 0;
  std::vector<std::optional<TraceRingWriter>> writers_;  // one per engine thread, each touched by that thread only
};
}  // namespace pvg::engine
