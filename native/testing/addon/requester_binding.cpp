// nativeRequester / joinRequester / requesterDone: a native thread that sends requests into a
// mailbox and waits for each answer in a reply slot, timing native -> JS actor -> native.
#include <array>
#include <memory>
#include <vector>

#include "addon/args.h"
#include "testing/addon/bindings.h"
#include "addon/handle.h"
#include "addon/shared_views.h"
#include "addon/thread_group.h"
#include "core/clock.h"

namespace pvg::addon {
namespace {
constexpr napi_type_tag kRequesterTag = {0x4c0d9b7e26f1a583ull, 0xa9e3b57c18d0f264ull};
constexpr int64_t kSliceNs = 20'000'000;       // re-check stop/closed this often while blocked
constexpr double kMaxIterations = 10'000'000;  // bounds the latency buffer (80 MB)

struct Requester {
  ThreadGroup group;
  MailboxRef box;
  ReplyTableRef table;
  uint32_t slot = 0, iterations = 0, kind = 0;
  int spinBudget = 0;
  std::vector<double> latenciesNs;  // written by the thread, read after join
  uint64_t errors = 0;

  Requester(MailboxRef b, ReplyTableRef t) : box(b), table(t) {}
  ~Requester() {
    group.stop.store(true);
    group.join();
  }

  bool giveUp() const { return group.stop.load() || box.isClosed(); }

  void run() {
    for (uint32_t i = 0; i < iterations; ++i) {
      // The slot's next id, as the TS requester numbers them: ids never repeat on a slot soon.
      uint32_t id = table.beginNext(slot).value_or(0);
      int64_t start = monotonicNanos();
      std::array<uint32_t, 3> args{slot, id, i};
      EnqueueResult sent;
      do {
        sent = box.enqueue(kind, args, kSliceNs);
      } while (sent == EnqueueResult::TimedOut && !group.stop.load());
      if (sent != EnqueueResult::Ok) {
        table.cancel(slot);
        errors += iterations - i;
        return;
      }
      ReplyResult answer = table.wait(slot, spinBudget, kSliceNs);
      while (answer.status == ReplyStatus::TimedOut) {
        // cancel() fails only when the answer just arrived; then collect it.
        if (giveUp() && table.cancel(slot)) {
          errors += iterations - i;
          return;
        }
        answer = table.wait(slot, 0, kSliceNs);
      }
      int64_t end = monotonicNanos();
      if (answer.status == ReplyStatus::Replied) {
        latenciesNs.push_back(static_cast<double>(end - start));
      } else {
        ++errors;  // the responder called fail() (or the supervisor failed the slot)
      }
    }
  }
};

// nativeRequester(mailbox, replies, {slot, iterations, spinBudget, kind}) -> handle
Napi::Value NativeRequester(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fn = "nativeRequester";
  SharedInt32 mailbox = sharedInt32(info[0], fn + ": mailbox");
  SharedInt32 replies = sharedInt32(info[1], fn + ": replies");
  auto req = std::make_unique<Requester>(attachMailbox(mailbox, fn + ": mailbox"), attachReplies(replies, fn + ": replies"));
  Napi::Object opts = options(info[2], fn + ": opts");
  req->slot = static_cast<uint32_t>(integerOption(opts, "slot", 0, req->table.slotCount() - 1.0, fn));
  req->iterations = static_cast<uint32_t>(integerOption(opts, "iterations", 0, kMaxIterations, fn));
  req->spinBudget = static_cast<int>(integerOption(opts, "spinBudget", 0, 1'000'000'000, fn));
  req->kind = static_cast<uint32_t>(integerOption(opts, "kind", 0, 4294967295.0, fn));
  req->latenciesNs.reserve(req->iterations);
  req->group.keepAlive(mailbox.array);
  req->group.keepAlive(replies.array);
  Requester* r = req.get();
  req->group.start(env, [r] { r->run(); });
  return wrapHandle(env, std::move(req), kRequesterTag);
}

Requester& requesterArg(const Napi::CallbackInfo& info, const char* fn) {
  return unwrapHandle<Requester>(info[0], kRequesterTag, std::string(fn) + ": handle must come from nativeRequester");
}

// joinRequester(handle) -> {latenciesNs: Float64Array, errors}. Blocks until the requester
// thread has ended; latenciesNs holds one round trip per answered request, in order.
Napi::Value JoinRequester(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Requester& r = requesterArg(info, "joinRequester");
  r.group.join();
  auto latencies = Napi::Float64Array::New(env, r.latenciesNs.size());
  for (size_t i = 0; i < r.latenciesNs.size(); ++i) latencies[i] = r.latenciesNs[i];
  Napi::Object out = Napi::Object::New(env);
  out.Set("latenciesNs", latencies);
  out.Set("errors", Napi::Number::New(env, static_cast<double>(r.errors)));
  return out;
}

// requesterDone(handle) -> boolean: the requester thread has finished.
Napi::Value RequesterDone(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), requesterArg(info, "requesterDone").group.done()); }
}  // namespace

void registerRequester(Napi::Env env, Napi::Object exports) {
  exports.Set("nativeRequester", Napi::Function::New(env, NativeRequester, "nativeRequester"));
  exports.Set("joinRequester", Napi::Function::New(env, JoinRequester, "joinRequester"));
  exports.Set("requesterDone", Napi::Function::New(env, RequesterDone, "requesterDone"));
}
}  // namespace pvg::addon
