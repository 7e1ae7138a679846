// The pvg_native addon's entry point.
#include <napi.h>

#include "addon/bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pvg::addon::registerFutex(env, exports);
  pvg::addon::registerClock(env, exports);
  pvg::addon::registerMailbox(env, exports);
  pvg::addon::registerProducers(env, exports);
  pvg::addon::registerEcho(env, exports);
  pvg::addon::registerRequester(env, exports);
  pvg::addon::registerEngine(env, exports);
  pvg::addon::registerRenderBench(env, exports);
  pvg::addon::registerHeap(env, exports);
  pvg::addon::registerKvm(env, exports);
  pvg::addon::registerKvmBench(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(pvg_native, Init)
