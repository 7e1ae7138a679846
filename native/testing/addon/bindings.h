// The pvg_native_testing addon's register functions, one per binding file (testing_addon.cpp
// calls them all). Harness for tests and benchmarks; the package neither ships nor loads it.
#pragma once
#include <napi.h>

namespace pvg::addon {
/** Native producer threads into a mailbox (concurrency tests). */
void registerProducers(Napi::Env env, Napi::Object exports);
/** A native echo server answering requests through reply slots (bench mailbox). */
void registerEcho(Napi::Env env, Napi::Object exports);
/** A native requester timing round trips through a mailbox and a reply slot (bench mailbox). */
void registerRequester(Napi::Env env, Napi::Object exports);
/** The renderer (or a plain memcpy) on one frame: the engine and frames benchmarks' reference. */
void registerRenderBench(Napi::Env env, Napi::Object exports);
/** The KVM exit and interrupt-injection references for `bench kvm` (kvm_bench_binding.cpp). */
void registerKvmBench(Napi::Env env, Napi::Object exports);
/** The vulkan backend's store against plain Vulkan copies on the same device (bench vulkan). */
void registerVulkanBench(Napi::Env env, Napi::Object exports);
/** The C++ mailbox's producer and consumer paths, from JavaScript (cross-checks). */
void registerMailbox(Napi::Env env, Napi::Object exports);
/** heapStats: the C heap (glibc mallinfo2), for the soak test's samples. */
void registerHeap(Napi::Env env, Napi::Object exports);
}  // namespace pvg::addon
