// The `vulkan` backend's public face (docs/vulkan.md): open a GPU through the Vulkan loader found
// at run time, or say why not; make the pixel stores (frame_store.h) the engine draws into. No
// Vulkan header here: the engine and the addon build the same with or without the Vulkan SDK
// (without it, openDevice refuses with NotBuilt).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "abi/binding_strings.h"
#include "engine/render/frame_store.h"

namespace pvg::engine {
class EngineTracer;
class JobQueue;
}  // namespace pvg::engine

namespace pvg::engine::vk {
struct Fns;
class GpuDevice;

// Why there is no device (NotBuilt, NoLoader, NoInstance, NoDevice, MissingFeature, InitFailed:
// abi/schema/binding-strings.ts), each with a human detail in OpenResult.detail.
using Refusal = strings::VulkanRefusal;
// Its spelling, as vulkanProbe and an ERR_PVG_VULKAN error give it (NUL-terminated: a literal).
inline const char* refusalName(Refusal refusal) { return strings::name(refusal).data(); }

struct DeviceInfo {
  std::string name, driver, type;
  uint32_t apiVersion = 0;
  uint64_t maxStorageBufferRange = 0;
  bool timestamps = false;  // its queue writes timestamps: readbacks' GPU time on the trace's gpu track
};

struct OpenOptions {
  std::string library = "libvulkan.so.1";
  // Which physical device (vkEnumeratePhysicalDevices' order); -1: the first discrete GPU, else
  // the first integrated, else the first with a compute queue (lavapipe's CPU device included).
  int deviceIndex = -1;
};

struct OpenResult {
  std::shared_ptr<GpuDevice> device;
  std::optional<Refusal> refusal;  // set exactly when device is null
  std::string detail;
};

// Interposes on the loaded entry points before any is used (as a Vulkan layer would): the native
// tests wrap allocations and submits with failing ones this way. Production callers pass none.
using Interpose = std::function<void(Fns&)>;
OpenResult openDevice(const OpenOptions& options, const Interpose& interpose = {});
DeviceInfo deviceInfo(const GpuDevice& device);
// A display's store on the device (device-local frame, staging and readback buffers): the
// device stays alive while any store does.
// tracer (may be null): where its submits and fence waits go (gpu_submit, gpu_fence_wait), on the
// calling thread's ring, and its GPU work (gpu_draw, gpu_readback, gpu_exec) on the completion
// thread's; `display` labels them.
// completions (may be null): the serial queue whose thread completes its submits, drawing and
// asynchronous readbacks (the engine's pvg-gpu queue: its trace ring is the gpu track); none: the
// store makes its own.
// drawBuffers: how many drawing command buffers it records into in turn (1 … kMaxDrawBuffers).
// The engine always takes the default; `bench vulkan` also runs one to measure what two buy.
constexpr unsigned kDrawBuffers = 2, kMaxDrawBuffers = 4;
std::unique_ptr<FrameStore> makeFrameStore(const std::shared_ptr<GpuDevice>& device, uint32_t display = 0, EngineTracer* tracer = nullptr,
                                           JobQueue* completions = nullptr, unsigned drawBuffers = kDrawBuffers);
}  // namespace pvg::engine::vk
