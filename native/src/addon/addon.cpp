// The pvg_native addon's entry point.
#include <napi.h>

#include "addon/bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pvg::addon::registerFutex(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(pvg_native, Init)
