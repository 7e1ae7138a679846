// startEchoServer / stopEchoServer: a native consumer thread that answers requests through
// reply slots; the native end of JS -> native -> JS round trips.
#include <memory>
#include <span>

#include "addon/args.h"
#include "testing/addon/bindings.h"
#include "addon/handle.h"
#include "addon/shared_views.h"
#include "addon/thread_group.h"

namespace pvg::addon {
namespace {
constexpr napi_type_tag kEchoTag = {0x2b8e61d04fa7c935ull, 0xd15c0e7a93b24f18ull};
constexpr uint32_t kStopKind = 0;
constexpr uint32_t kEchoKind = 1;
// Park in slices so stopEchoServer is noticed within one slice even when nothing arrives.
constexpr int64_t kSliceNs = 10'000'000;

struct EchoServer {
  ThreadGroup group;
  MailboxRef box;
  ReplyTableRef table;
  int spinBudget = 0;
  std::atomic<uint64_t> handled{0}, ignored{0};

  EchoServer(MailboxRef b, ReplyTableRef t) : box(b), table(t) {}
  ~EchoServer() {
    group.stop.store(true);
    group.join();
  }

  void run() {
    MailboxRecord rec;
    while (!group.stop.load()) {
      if (!box.dequeueWait(rec, spinBudget, kSliceNs)) {
        if (box.isClosed()) return;
        continue;
      }
      if (rec.kind == kStopKind) return;
      // args[0] = slot, args[1] = request id, args[2..5] = the values to echo back.
      bool answered = rec.kind == kEchoKind && table.reply(rec.args[0], rec.args[1], std::span<const uint32_t>(rec.args.data() + 2, 4));
      (answered ? handled : ignored).fetch_add(1);  // ignored: unknown kind, bad slot or stale id
    }
  }
};

// startEchoServer(mailbox, replies, {spinBudget}) -> handle
Napi::Value StartEchoServer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fn = "startEchoServer";
  SharedInt32 mailbox = sharedInt32(info[0], fn + ": mailbox");
  SharedInt32 replies = sharedInt32(info[1], fn + ": replies");
  auto server = std::make_unique<EchoServer>(attachMailbox(mailbox, fn + ": mailbox"), attachReplies(replies, fn + ": replies"));
  Napi::Object opts = options(info[2], fn + ": opts");
  server->spinBudget = static_cast<int>(integerOption(opts, "spinBudget", 0, 1'000'000'000, fn));
  server->group.keepAlive(mailbox.array);
  server->group.keepAlive(replies.array);
  EchoServer* s = server.get();
  server->group.start(env, [s] { s->run(); });
  return wrapHandle(env, std::move(server), kEchoTag);
}

// stopEchoServer(handle) -> {handled, ignored}. Stops the server (within ~10 ms if it is idle;
// records still queued are left in the mailbox) and joins its thread. The mailbox stays open.
Napi::Value StopEchoServer(const Napi::CallbackInfo& info) {
  auto& server = unwrapHandle<EchoServer>(info[0], kEchoTag, "stopEchoServer: handle must come from startEchoServer");
  server.group.stop.store(true);
  server.group.join();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("handled", Napi::Number::New(info.Env(), static_cast<double>(server.handled.load())));
  out.Set("ignored", Napi::Number::New(info.Env(), static_cast<double>(server.ignored.load())));
  return out;
}
}  // namespace

void registerEcho(Napi::Env env, Napi::Object exports) {
  exports.Set("startEchoServer", Napi::Function::New(env, StartEchoServer, "startEchoServer"));
  exports.Set("stopEchoServer", Napi::Function::New(env, StopEchoServer, "stopEchoServer"));
}
}  // namespace pvg::addon
