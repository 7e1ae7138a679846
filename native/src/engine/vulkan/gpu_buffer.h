// A buffer and its memory as the frame store makes them (docs/vulkan.md, "Memory types"): the
// memory type chosen by use (memory_types.h), mapped for the host when the CPU writes or reads
// it. Only compiled with PVG_VULKAN.
#pragma once
#include <cstdint>

#include "engine/vulkan/gpu_device.h"
#include "engine/vulkan/memory_types.h"

namespace pvg::engine::vk {
struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize bytes = 0;
  VkDeviceSize allocated = 0;  // the memory's size (>= bytes)
  uint8_t* mapped = nullptr;   // Upload and Readback buffers only
  bool coherent = true;        // false: the CPU reads it only after invalidateForHost
};

// A range of bytes of a buffer: [first, end).
struct ByteSpan {
  VkDeviceSize first = 0, end = 0;
};

// Makes `b` (empty before): VK_SUCCESS, or the failure (no memory type can serve `use`:
// VK_ERROR_OUT_OF_DEVICE_MEMORY). A buffer made in part is freed by destroyBuffer.
VkResult makeBuffer(const GpuDevice& g, Buffer& b, VkDeviceSize bytes, VkBufferUsageFlags usage, MemoryUse use);
void destroyBuffer(const GpuDevice& g, Buffer& b);

// After the fence of a copy into `b`, before the CPU reads `span` of it: nothing where the memory
// is HOST_COHERENT, else vkInvalidateMappedMemoryRanges over the span widened to whole
// nonCoherentAtomSize blocks.
VkResult invalidateForHost(const GpuDevice& g, const Buffer& b, ByteSpan span);
}  // namespace pvg::engine::vk
