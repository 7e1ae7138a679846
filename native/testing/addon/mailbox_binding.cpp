// Synchronous mailbox operations from JavaScript through the C++ code path, for cross-checking
// the TypeScript implementation against this one on the same words.
#include <array>

#include "abi/binding_strings.h"
#include "addon/args.h"
#include "addon/string_sets.h"
#include "testing/addon/bindings.h"
#include "addon/shared_views.h"

namespace pvg::addon {
namespace {
MailboxRef mailboxArg(const Napi::Value& value, const std::string& fn) { return attachMailbox(sharedInt32(value, fn + ": mailbox"), fn + ": mailbox"); }

// mailboxEnqueue(mailbox, kind, args: number[] | Int32Array | Uint32Array, timeoutMs?)
//   -> a MailboxEnqueueResult (abi/schema/binding-strings.ts). Blocks the calling thread while the mailbox is full.
Napi::Value MailboxEnqueue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fn = "mailboxEnqueue";
  MailboxRef box = mailboxArg(info[0], fn);
  uint32_t kind = word32(info[1], fn + ": kind");
  std::array<uint32_t, mailbox::kRecordArgs> args{};
  uint32_t count = 0;
  if (info[2].IsArray() || info[2].IsTypedArray()) {
    Napi::Object list = info[2].As<Napi::Object>();
    double length = integerIn(list.Get("length"), 0, mailbox::kRecordArgs, fn + ": args.length");
    count = static_cast<uint32_t>(length);
    for (uint32_t i = 0; i < count; ++i) args[i] = word32(list.Get(i), fn + ": args[" + std::to_string(i) + "]");
  } else if (!info[2].IsUndefined()) {
    throw Napi::TypeError::New(env, fn + ": args must be an array or typed array of at most 14 numbers");
  }
  switch (box.enqueue(kind, std::span<const uint32_t>(args.data(), count), timeoutNs(info[3], fn + ": timeoutMs"))) {
    case EnqueueResult::Ok:
      return jsString(env, strings::name(strings::MailboxEnqueueResult::Ok));
    case EnqueueResult::Closed:
      return jsString(env, strings::name(strings::MailboxEnqueueResult::Closed));
    case EnqueueResult::TimedOut:
      return jsString(env, strings::name(strings::MailboxEnqueueResult::TimedOut));
    case EnqueueResult::TooManyArgs:
      break;  // excluded above
  }
  throw Napi::RangeError::New(env, fn + ": too many args");
}

// mailboxTryDequeue(mailbox) -> {kind, args: Uint32Array(14)} | null. Consumer side: only
// where the calling thread is the mailbox's one consumer.
Napi::Value MailboxTryDequeue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MailboxRef box = mailboxArg(info[0], "mailboxTryDequeue");
  MailboxRecord rec;
  if (!box.tryDequeue(rec)) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("kind", Napi::Number::New(env, rec.kind));
  auto args = Napi::Uint32Array::New(env, rec.args.size());
  for (size_t i = 0; i < rec.args.size(); ++i) args[i] = rec.args[i];
  out.Set("args", args);
  return out;
}

// mailboxClose(mailbox, reason) -> undefined: refuses further enqueues and wakes the parked
// consumer and every waiting producer, native or addon-parked.
Napi::Value MailboxClose(const Napi::CallbackInfo& info) {
  MailboxRef box = mailboxArg(info[0], "mailboxClose");
  int32_t reason = static_cast<int32_t>(word32(info[1], "mailboxClose: reason"));
  box.close(reason);
  return info.Env().Undefined();
}
}  // namespace

void registerMailbox(Napi::Env env, Napi::Object exports) {
  exports.Set("mailboxEnqueue", Napi::Function::New(env, MailboxEnqueue, "mailboxEnqueue"));
  exports.Set("mailboxTryDequeue", Napi::Function::New(env, MailboxTryDequeue, "mailboxTryDequeue"));
  exports.Set("mailboxClose", Napi::Function::New(env, MailboxClose, "mailboxClose"));
}
}  // namespace pvg::addon
