// Clocks and thread identity for JavaScript, from the same sources the native side uses, so
// JS and native timestamps and thread ids in a trace agree.
#include <pthread.h>

#include <string>

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
// setThreadName(name): names the calling thread (Linux keeps 15 bytes), so per-thread CPU in
// /proc/<pid>/task/*/comm, top -H and perf tells actors apart (the engine names its own threads).
Napi::Value SetThreadName(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "setThreadName(name: string)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value().substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());
  return info.Env().Undefined();
}
}  // namespace

void registerClock(Napi::Env env, Napi::Object exports) {
  exports.Set("monotonicMicros", Napi::Function::New(env, MonotonicMicros, "monotonicMicros"));
  exports.Set("threadCpuMicros", Napi::Function::New(env, ThreadCpuMicros, "threadCpuMicros"));
  exports.Set("currentThreadId", Napi::Function::New(env, CurrentThreadId, "currentThreadId"));
  exports.Set("setThreadName", Napi::Function::New(env, SetThreadName, "setThreadName"));
}
}  // namespace pvg::addon
