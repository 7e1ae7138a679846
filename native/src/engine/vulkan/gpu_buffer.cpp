// Buffers on the device for the frame store (gpu_buffer.h).
#if PVG_VULKAN
#include "engine/vulkan/gpu_buffer.h"

#include <algorithm>

// Vulkan's create-info structs are filled as {sType} then field by field: the rest stays zero.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pvg::engine::vk {
VkResult makeBuffer(const GpuDevice& g, Buffer& b, VkDeviceSize bytes, VkBufferUsageFlags usage, MemoryUse use) {
  const Fns& f = g.fns;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r = f.vkCreateBuffer(g.device, &info, nullptr, &b.buffer); r != VK_SUCCESS) {
    b.buffer = VK_NULL_HANDLE;
    return r;
  }
  VkMemoryRequirements req{};
  f.vkGetBufferMemoryRequirements(g.device, b.buffer, &req);
  const int type = pickMemoryType(g.memory, req.memoryTypeBits, use);
  if (type < 0) return VK_ERROR_OUT_OF_DEVICE_MEMORY;
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = static_cast<uint32_t>(type);
  if (VkResult r = f.vkAllocateMemory(g.device, &alloc, nullptr, &b.memory); r != VK_SUCCESS) {
    b.memory = VK_NULL_HANDLE;
    return r;
  }
  if (VkResult r = f.vkBindBufferMemory(g.device, b.buffer, b.memory, 0); r != VK_SUCCESS) return r;
  b.bytes = bytes;
  b.allocated = req.size;
  b.coherent = g.memory.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  if (use == MemoryUse::Device) return VK_SUCCESS;
  void* p = nullptr;
  if (VkResult r = f.vkMapMemory(g.device, b.memory, 0, VK_WHOLE_SIZE, 0, &p); r != VK_SUCCESS) return r;
  b.mapped = static_cast<uint8_t*>(p);
  return VK_SUCCESS;
}

void destroyBuffer(const GpuDevice& g, Buffer& b) {
  const Fns& f = g.fns;
  if (b.mapped) f.vkUnmapMemory(g.device, b.memory);
  if (b.buffer) f.vkDestroyBuffer(g.device, b.buffer, nullptr);
  if (b.memory) f.vkFreeMemory(g.device, b.memory, nullptr);
  b = Buffer{};
}

VkResult invalidateForHost(const GpuDevice& g, const Buffer& b, ByteSpan span) {
  // The device's writes were made available to the host by the copy's barrier to HOST_READ and
  // the fence; on non-coherent memory only the invalidate makes them visible to the CPU's reads.
  if (b.coherent || b.mapped == nullptr || span.end <= span.first) return VK_SUCCESS;
  const VkDeviceSize atom = std::max<VkDeviceSize>(1, g.limits.nonCoherentAtomSize);
  VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
  range.memory = b.memory;
  range.offset = span.first / atom * atom;
  const VkDeviceSize end = (span.end + atom - 1) / atom * atom;
  // Past the allocation's end: VK_WHOLE_SIZE, which the mapping (the whole allocation) allows.
  range.size = end >= b.allocated ? VK_WHOLE_SIZE : end - range.offset;
  return g.fns.vkInvalidateMappedMemoryRanges(g.device, 1, &range);
}
}  // namespace pvg::engine::vk
#endif
