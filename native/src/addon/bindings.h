// One register function per binding file; addon.cpp calls them all.
#pragma once
#include <napi.h>

namespace pvg::addon {
void registerFutex(Napi::Env env, Napi::Object exports);
}  // namespace pvg::addon
