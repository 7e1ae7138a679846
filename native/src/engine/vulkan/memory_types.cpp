// Memory type selection by use (memory_types.h).
#if PVG_VULKAN
#include "engine/vulkan/memory_types.h"

namespace pvg::engine::vk {
namespace {
constexpr int kUnusable = 1 << 20;

// Lower is better; kUnusable: this type cannot serve the use.
int rank(VkMemoryPropertyFlags f, MemoryUse use) {
  const bool deviceLocal = f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  const bool visible = f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  const bool coherent = f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const bool cached = f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
  if (f & (VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT | VK_MEMORY_PROPERTY_PROTECTED_BIT)) return kUnusable;  // not for buffers the host or a copy touches
  switch (use) {
    case MemoryUse::Device:
      return deviceLocal ? (visible ? 1 : 0) : 2;
    case MemoryUse::Upload:
      if (!visible || !coherent) return kUnusable;
      if (cached) return 2;
      return deviceLocal ? 1 : 0;
    case MemoryUse::Readback:
      if (!visible) return kUnusable;
      if (cached) return coherent ? 0 : 1;
      return deviceLocal ? 3 : 2;
  }
  return kUnusable;
}
}  // namespace

int pickMemoryType(const VkPhysicalDeviceMemoryProperties& props, uint32_t typeBits, MemoryUse use) {
  int best = -1, bestRank = kUnusable;
  const uint32_t count = props.memoryTypeCount < VK_MAX_MEMORY_TYPES ? props.memoryTypeCount : VK_MAX_MEMORY_TYPES;
  for (uint32_t i = 0; i < count; ++i) {
    if (!(typeBits & (1u << i))) continue;
    const int r = rank(props.memoryTypes[i].propertyFlags, use);
    if (r < bestRank) {
      best = static_cast<int>(i);
      bestRank = r;
    }
  }
  return best;
}

std::string memoryFlagNames(VkMemoryPropertyFlags flags) {
  static constexpr struct {
    VkMemoryPropertyFlags bit;
    const char* name;
  } kNames[] = {{VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, "DEVICE_LOCAL"},         {VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, "HOST_VISIBLE"},
                {VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, "HOST_COHERENT"},       {VK_MEMORY_PROPERTY_HOST_CACHED_BIT, "HOST_CACHED"},
                {VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT, "LAZILY_ALLOCATED"}, {VK_MEMORY_PROPERTY_PROTECTED_BIT, "PROTECTED"}};
  std::string out;
  for (const auto& n : kNames) {
    if (!(flags & n.bit)) continue;
    if (!out.empty()) out += '|';
    out += n.name;
  }
  return out.empty() ? "none" : out;
}
}  // namespace pvg::engine::vk
#endif
