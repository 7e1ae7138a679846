// The pvg_native_testing addon's entry point: the test and benchmark harness, kept out of the
// production addon (pvg_native, src/addon/addon.cpp).
#include <napi.h>

#include "testing/addon/bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pvg::addon::registerProducers(env, exports);
  pvg::addon::registerEcho(env, exports);
  pvg::addon::registerRequester(env, exports);
  pvg::addon::registerRenderBench(env, exports);
  pvg::addon::registerKvmBench(env, exports);
  pvg::addon::registerMailbox(env, exports);
  pvg::addon::registerVulkanBench(env, exports);
  pvg::addon::registerHeap(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(pvg_native_testing, Init)
