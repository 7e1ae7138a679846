// One register function per binding file; addon.cpp calls them all.
#pragma once
#include <napi.h>

namespace pvg::addon {
void registerFutex(Napi::Env env, Napi::Object exports);
/** Event-loop sleepers on a doorbell word (mailboxes in park mode EventLoop). */
void registerDoorbells(Napi::Env env, Napi::Object exports);
void registerClock(Napi::Env env, Napi::Object exports);
void registerEngine(Napi::Env env, Napi::Object exports);
/** checkEngineState: a snapshot's engine section checked with no engine running. */
void registerEngineState(Napi::Env env, Napi::Object exports);
/** KVM (Linux only; elsewhere kvmProbe says why not). */
void registerKvm(Napi::Env env, Napi::Object exports);
/** copyPixelRect: the compositor's damage copy, memcpy over shared memory. */
void registerPixelRect(Napi::Env env, Napi::Object exports);
}  // namespace pvg::addon
