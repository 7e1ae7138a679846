// futexWait / futexWake for JavaScript: the park primitive that native threads can wake.
#include "abi/binding_strings.h"
#include "addon/bindings.h"
#include "addon/sab_view.h"
#include "addon/string_sets.h"
#include "core/futex.h"

namespace pvg::addon {
namespace {
using strings::FutexWaitResult;

FutexWaitResult result(WaitResult r) {
  switch (r) {
    case WaitResult::Woken:
      return FutexWaitResult::Ok;
    case WaitResult::NotEqual:
      return FutexWaitResult::NotEqual;
    case WaitResult::TimedOut:
      return FutexWaitResult::TimedOut;
  }
  return FutexWaitResult::Ok;  // unreachable: the switch covers every WaitResult
}

Napi::Value resultName(Napi::Env env, WaitResult r) { return jsString(env, strings::name(result(r))); }

// futexWait(i32, index, expected, timeoutMs) -> a FutexWaitResult ("ok" | "not-equal" | "timed-out")
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WordView view = wordView(info[0], "futexWait: array");
  uint32_t index = wordIndex(info[1], view, "futexWait: index");
  int32_t expected = info[2].As<Napi::Number>().Int32Value();
  double timeoutMs = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : -1;
  int64_t timeoutNs = timeoutMs < 0 || timeoutMs > 9.2e12 ? -1 : static_cast<int64_t>(timeoutMs * 1e6);
  return resultName(env, futexWait(view.words + index, expected, timeoutNs));
}

// futexWaitEither(i32a, indexA, expectedA, i32b, indexB, expectedB, timeoutMs) -> as futexWait:
// sleeps while both words hold their expected values; a wake on either ends it.
Napi::Value FutexWaitEither(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WordView a = wordView(info[0], "futexWaitEither: first array");
  uint32_t indexA = wordIndex(info[1], a, "futexWaitEither: first index");
  int32_t expectedA = info[2].As<Napi::Number>().Int32Value();
  WordView b = wordView(info[3], "futexWaitEither: second array");
  uint32_t indexB = wordIndex(info[4], b, "futexWaitEither: second index");
  int32_t expectedB = info[5].As<Napi::Number>().Int32Value();
  double timeoutMs = info.Length() > 6 && info[6].IsNumber() ? info[6].As<Napi::Number>().DoubleValue() : -1;
  int64_t timeoutNs = timeoutMs < 0 || timeoutMs > 9.2e12 ? -1 : static_cast<int64_t>(timeoutMs * 1e6);
  return resultName(env, futexWaitEither(a.words + indexA, expectedA, b.words + indexB, expectedB, timeoutNs));
}

// futexWake(i32, index, count) -> number woken
Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  WordView view = wordView(info[0], "futexWake: array");
  uint32_t index = wordIndex(info[1], view, "futexWake: index");
  int count = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 1;
  return Napi::Number::New(info.Env(), futexWake(view.words + index, count));
}
}  // namespace

void registerFutex(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWait", Napi::Function::New(env, FutexWait, "futexWait"));
  exports.Set("futexWaitEither", Napi::Function::New(env, FutexWaitEither, "futexWaitEither"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
}
}  // namespace pvg::addon
