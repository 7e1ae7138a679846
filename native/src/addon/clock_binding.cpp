// Clocks and thread identity for JavaScript, from the same sources the native side uses, so
// JS and native timestamps and thread ids in a trace agree.
#include "addon/bindings.h"
#include "core/clock.h"

namespace pvg::addon {
namespace {
// monotonicMicros() -> number: CLOCK_MONOTONIC in µs (process.hrtime's clock).
Napi::Value MonotonicMicros(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), monotonicMicros()); }
// threadCpuMicros() -> number: CPU time of the calling thread in µs.
Napi::Value ThreadCpuMicros(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), threadCpuMicros()); }
// currentThreadId() -> number: the calling thread's kernel id (gettid).
Napi::Value CurrentThreadId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), currentThreadId()); }
}  // namespace

void registerClock(Napi::Env env, Napi::Object exports) {
  exports.Set("monotonicMicros", Napi::Function::New(env, MonotonicMicros, "monotonicMicros"));
  exports.Set("threadCpuMicros", Napi::Function::New(env, ThreadCpuMicros, "threadCpuMicros"));
  exports.Set("currentThreadId", Napi::Function::New(env, CurrentThreadId, "currentThreadId"));
}
}  // namespace pvg::addon
