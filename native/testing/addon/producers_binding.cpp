// startProducers / joinProducers / producersDone: native producer threads that flood a
// mailbox, so a JS consumer can be tested and measured against real native back-pressure.
#include <array>
#include <chrono>
#include <memory>
#include <optional>

#include "addon/args.h"
#include "testing/addon/bindings.h"
#include "addon/handle.h"
#include "addon/shared_views.h"
#include "addon/thread_group.h"
#include "core/clock.h"
#include "core/rng.h"
#include "core/trace_ring.h"

namespace pvg::addon {
namespace {
constexpr napi_type_tag kProducersTag = {0x7f3c5a9e1b2d4c60ull, 0x8e21f0a3c4b5d697ull};
// Enqueue in slices so an abandoned handle's threads notice `stop` even on a full mailbox.
constexpr int64_t kSliceNs = 20'000'000;

struct TraceTarget {
  int32_t* words;
  size_t length;
  uint32_t firstRing;
};

struct Producers {
  ThreadGroup group;
  MailboxRef box;
  uint32_t perThread, kind, producerIdBase, seed, maxJitterUs;
  std::optional<TraceTarget> trace;
  std::atomic<uint64_t> enqueued{0}, errors{0};

  explicit Producers(MailboxRef b) : box(b) {}
  ~Producers() {
    group.stop.store(true);
    group.join();  // before the members the threads use go away
  }

  void run(uint32_t index) {
    uint32_t producerId = producerIdBase + index;
    std::optional<TraceRingWriter> writer;
    if (trace) writer = TraceRingWriter::attach(trace->words, trace->length, trace->firstRing + index);
    Rng rng(uint64_t{seed} << 32 | index);
    uint64_t ok = 0, failed = 0;
    for (uint32_t seq = 0; seq < perThread; ++seq) {
      // The checksum lets the consumer verify each record: JS computes it as
      // (Math.imul(producerId, 0x9E3779B1) ^ seq) >>> 0.
      std::array<uint32_t, 3> args{producerId, seq, producerId * 2654435761u ^ seq};
      double sentUs = monotonicMicros();
      EnqueueResult r;
      do {
        r = box.enqueue(kind, args, kSliceNs);
      } while (r == EnqueueResult::TimedOut && !group.stop.load());
      if (r != EnqueueResult::Ok) {  // closed (or abandoned): the rest is not delivered
        failed += perThread - seq;
        break;
      }
      ++ok;
      if (writer) writer->write(trace::Event::test_event, trace::Phase::Instant, sentUs, 0, producerId, seq, args[2]);
      if (maxJitterUs > 0) {
        uint32_t us = rng.below(maxJitterUs + 1);
        if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
      }
    }
    enqueued.fetch_add(ok);
    errors.fetch_add(failed);
  }
};

// startProducers(mailbox, {threads, perThread, kind, producerIdBase, seed, maxJitterUs,
//                          trace?: {ring, firstRing}}) -> handle
Napi::Value StartProducers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fn = "startProducers";
  SharedInt32 mailbox = sharedInt32(info[0], fn + ": mailbox");
  auto state = std::make_unique<Producers>(attachMailbox(mailbox, fn + ": mailbox"));
  Napi::Object opts = options(info[1], fn + ": opts");
  auto threads = static_cast<uint32_t>(integerOption(opts, "threads", 1, 256, fn));
  state->perThread = static_cast<uint32_t>(integerOption(opts, "perThread", 0, 4294967295.0, fn));
  state->kind = static_cast<uint32_t>(integerOption(opts, "kind", 0, 4294967295.0, fn));
  state->producerIdBase = static_cast<uint32_t>(integerOption(opts, "producerIdBase", 0, 4294967295.0 - threads, fn));
  state->seed = static_cast<uint32_t>(integerOption(opts, "seed", 0, 4294967295.0, fn));
  state->maxJitterUs = static_cast<uint32_t>(integerOption(opts, "maxJitterUs", 0, 1'000'000, fn));
  std::optional<SharedInt32> traceArray;
  Napi::Value traceOpt = opts.Get("trace");
  if (!traceOpt.IsUndefined()) {
    Napi::Object t = options(traceOpt, fn + ": opts.trace");
    traceArray = sharedInt32(t.Get("ring"), fn + ": opts.trace.ring");
    auto firstRing = static_cast<uint32_t>(integerOption(t, "firstRing", 0, 4294967295.0 - threads, fn + ": opts.trace"));
    // One ring per thread: all of firstRing .. firstRing + threads - 1 must exist.
    if (!locateTraceRing(traceArray->view.words, traceArray->view.length, firstRing + threads - 1)) {
      throw Napi::RangeError::New(env, fn + ": opts.trace.ring must be an 8-byte-aligned trace-ring set with rings firstRing .. firstRing + threads - 1");
    }
    state->trace = TraceTarget{traceArray->view.words, traceArray->view.length, firstRing};
  }
  state->group.keepAlive(mailbox.array);
  if (traceArray) state->group.keepAlive(traceArray->array);
  Producers* p = state.get();
  for (uint32_t i = 0; i < threads; ++i) state->group.start(env, [p, i] { p->run(i); });
  return wrapHandle(env, std::move(state), kProducersTag);
}

Producers& producersArg(const Napi::CallbackInfo& info, const char* fn) {
  return unwrapHandle<Producers>(info[0], kProducersTag, std::string(fn) + ": handle must come from startProducers");
}

// joinProducers(handle) -> {enqueued, errors}. Blocks until every producer thread has ended:
// call it once the consumer has drained (or the mailbox is closed).
Napi::Value JoinProducers(const Napi::CallbackInfo& info) {
  Producers& p = producersArg(info, "joinProducers");
  p.group.join();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("enqueued", Napi::Number::New(info.Env(), static_cast<double>(p.enqueued.load())));
  out.Set("errors", Napi::Number::New(info.Env(), static_cast<double>(p.errors.load())));
  return out;
}

// producersDone(handle) -> boolean: every producer thread has finished (joinProducers won't block).
Napi::Value ProducersDone(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), producersArg(info, "producersDone").group.done()); }
}  // namespace

void registerProducers(Napi::Env env, Napi::Object exports) {
  exports.Set("startProducers", Napi::Function::New(env, StartProducers, "startProducers"));
  exports.Set("joinProducers", Napi::Function::New(env, JoinProducers, "joinProducers"));
  exports.Set("producersDone", Napi::Function::New(env, ProducersDone, "producersDone"));
}
}  // namespace pvg::addon
