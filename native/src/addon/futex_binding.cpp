// futexWait / futexWake for JavaScript: the park primitive that native threads can wake.
#include "addon/bindings.h"
#include "addon/sab_view.h"
#include "core/futex.h"

namespace pvg::addon {
namespace {
// futexWait(i32, index, expected, timeoutMs) -> "ok" | "not-equal" | "timed-out"
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WordView view = wordView(info[0], "futexWait: array");
  uint32_t index = wordIndex(info[1], view, "futexWait: index");
  int32_t expected = info[2].As<Napi::Number>().Int32Value();
  double timeoutMs = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : -1;
  int64_t timeoutNs = timeoutMs < 0 || timeoutMs > 9.2e12 ? -1 : static_cast<int64_t>(timeoutMs * 1e6);
  switch (futexWait(view.words + index, expected, timeoutNs)) {
    case WaitResult::Woken:
      return Napi::String::New(env, "ok");
    case WaitResult::NotEqual:
      return Napi::String::New(env, "not-equal");
    case WaitResult::TimedOut:
      return Napi::String::New(env, "timed-out");
  }
  return env.Undefined();
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
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
}
}  // namespace pvg::addon
