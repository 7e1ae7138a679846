// The Vulkan entry points the backend uses, loaded at run time (vulkan_device.cpp opens
// libvulkan.so.1 with dlopen: no link-time dependency, so the addon loads where there is no
// Vulkan). Only included where the build found the Vulkan headers (PVG_VULKAN).
//
// The table is the one way the backend reaches Vulkan: a native test builds a device from a table
// whose entries it has wrapped (an allocation that fails, a submit that reports the device lost),
// with nothing in the backend that knows about tests.
#pragma once
#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

namespace pvg::engine::vk {
#define PVG_VK_INSTANCE_FNS(X)                \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties)            \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkCreateDevice)                           \
  X(vkGetDeviceProcAddr)

#define PVG_VK_DEVICE_FNS(X)        \
  X(vkDestroyDevice)                \
  X(vkGetDeviceQueue)               \
  X(vkDeviceWaitIdle)               \
  X(vkCreateBuffer)                 \
  X(vkDestroyBuffer)                \
  X(vkGetBufferMemoryRequirements)  \
  X(vkAllocateMemory)               \
  X(vkFreeMemory)                   \
  X(vkBindBufferMemory)             \
  X(vkMapMemory)                    \
  X(vkUnmapMemory)                  \
  X(vkInvalidateMappedMemoryRanges) \
  X(vkCreateCommandPool)            \
  X(vkDestroyCommandPool)           \
  X(vkAllocateCommandBuffers)       \
  X(vkBeginCommandBuffer)           \
  X(vkEndCommandBuffer)             \
  X(vkResetCommandBuffer)           \
  X(vkQueueSubmit)                  \
  X(vkCreateFence)                  \
  X(vkDestroyFence)                 \
  X(vkWaitForFences)                \
  X(vkResetFences)                  \
  X(vkCmdFillBuffer)                \
  X(vkCmdCopyBuffer)                \
  X(vkCmdPipelineBarrier)           \
  X(vkCmdBindPipeline)              \
  X(vkCmdBindDescriptorSets)        \
  X(vkCmdPushConstants)             \
  X(vkCmdDispatch)                  \
  X(vkCreateShaderModule)           \
  X(vkDestroyShaderModule)          \
  X(vkCreateDescriptorSetLayout)    \
  X(vkDestroyDescriptorSetLayout)   \
  X(vkCreatePipelineLayout)         \
  X(vkDestroyPipelineLayout)        \
  X(vkCreateComputePipelines)       \
  X(vkDestroyPipeline)              \
  X(vkCreateDescriptorPool)         \
  X(vkDestroyDescriptorPool)        \
  X(vkAllocateDescriptorSets)       \
  X(vkUpdateDescriptorSets)         \
  X(vkCreateQueryPool)              \
  X(vkDestroyQueryPool)             \
  X(vkCmdResetQueryPool)            \
  X(vkCmdWriteTimestamp)            \
  X(vkGetQueryPoolResults)

struct Fns {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
  PFN_vkCreateInstance vkCreateInstance = nullptr;
#define PVG_VK_FIELD(name) PFN_##name name = nullptr;
  PVG_VK_INSTANCE_FNS(PVG_VK_FIELD)
  PVG_VK_DEVICE_FNS(PVG_VK_FIELD)
#undef PVG_VK_FIELD
};
}  // namespace pvg::engine::vk
