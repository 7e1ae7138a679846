// The opened device (vulkan_device.cpp) as the stores see it: the entry points, the queue (one
// per engine; its submits serialised by queueMutex, as Vulkan requires of a VkQueue) and the
// blend pipeline every store binds. Only compiled with PVG_VULKAN.
#pragma once
#include <mutex>

#include "engine/vulkan/vulkan_backend.h"
#include "engine/vulkan/vulkan_fns.h"

namespace pvg::engine::vk {
class GpuDevice {
 public:
  GpuDevice() = default;
  ~GpuDevice();
  GpuDevice(const GpuDevice&) = delete;
  GpuDevice& operator=(const GpuDevice&) = delete;

  // The process's loader and instance (vulkan_device.cpp, processInstance): shared, not owned.
  void* library = nullptr;
  Fns fns;
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queueFamily = 0;
  VkPhysicalDeviceMemoryProperties memory{};
  VkPhysicalDeviceLimits limits{};
  DeviceInfo info;
  // The queue writes timestamps (its family's timestampValidBits > 0): the readback's GPU time on
  // the trace's gpu track. timestampNs: nanoseconds per tick (limits.timestampPeriod).
  bool timestamps = false;
  uint32_t timestampBits = 0;
  std::mutex queueMutex;

  // The source-over blit (shaders/blend_over.comp): binding 0 the frame (dynamic offset, so a
  // frame larger than maxStorageBufferRange is reached in windows), binding 1 the staging buffer.
  VkShaderModule blendShader = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout pipelineLayout = VK_NULL_HANDLE;
  VkPipeline blendPipeline = VK_NULL_HANDLE;
};

struct BlendPush {
  uint32_t frameWidth, frameBase, w, h, stagedBase;
  uint32_t copy;  // nonzero: copy the source words; zero: source-over
};
}  // namespace pvg::engine::vk
