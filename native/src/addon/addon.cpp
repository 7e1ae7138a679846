// The pvg_native addon's entry point. The test and benchmark harness is another addon,
// pvg_native_testing (native/testing/).
#include <napi.h>

#include "addon/bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pvg::addon::registerFutex(env, exports);
  pvg::addon::registerDoorbells(env, exports);
  pvg::addon::registerClock(env, exports);
  pvg::addon::registerEngine(env, exports);
  pvg::addon::registerEngineState(env, exports);
  pvg::addon::registerKvm(env, exports);
  pvg::addon::registerPixelRect(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(pvg_native, Init)
