// Which of a device's memory types a buffer gets, by what the buffer is for (docs/vulkan.md,
// "Memory types"). A pure function of the device's memory-properties table, so a native test
// can check it against tables of devices this machine does not have. Only with PVG_VULKAN.
#pragma once
#include <cstdint>
#include <string>

#include "engine/vulkan/vulkan_fns.h"

namespace pvg::engine::vk {
enum class MemoryUse : uint8_t {
  Device,    // written and read by the GPU only (the frame, the scratch buffer)
  Upload,    // written by the CPU in order, read by the GPU (blit staging); written without flushes
  Readback,  // written by the GPU, read by the CPU (the readback buffer)
};

// The index of the memory type allowed by `typeBits` (a VkMemoryRequirements' memoryTypeBits)
// that suits `use` best, or -1 where none can serve it:
//   Device    DEVICE_LOCAL without HOST_VISIBLE, then DEVICE_LOCAL, then any type;
//   Upload    needs HOST_VISIBLE|HOST_COHERENT; uncached (write-combined) system memory first,
//             then uncached device-local (a BAR), then cached;
//   Readback  needs HOST_VISIBLE; HOST_CACHED first (coherent before not: a non-coherent one needs
//             vkInvalidateMappedMemoryRanges before the CPU reads), then uncached system memory,
//             then uncached device-local. CPU reads of uncached memory run at a small fraction
//             of cached speed.
// Ties go to the lower index (the specification orders types so that the first of equals is the
// one to use).
int pickMemoryType(const VkPhysicalDeviceMemoryProperties& props, uint32_t typeBits, MemoryUse use);

// "DEVICE_LOCAL|HOST_VISIBLE|..." for reports.
std::string memoryFlagNames(VkMemoryPropertyFlags flags);
}  // namespace pvg::engine::vk
