// Memory type selection by use (engine/vulkan/memory_types.h) against memory-properties tables of
// devices this machine does not have, and the store's readback on memory that is cached but not
// coherent (lavapipe's table rewritten through the entry-point table): the readback buffer goes
// to the cached type and is invalidated before the CPU reads it, with the soft store's pixels.
#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <vector>

#include "engine/render/frame_store.h"
#include "engine/vulkan/vulkan_backend.h"
#include "harness.h"
#include "vulkan_test_support.h"

#if PVG_VULKAN
#include "engine/vulkan/gpu_device.h"
#include "engine/vulkan/memory_types.h"

namespace {
using namespace pvg::engine;
using vk::MemoryUse;
using vk::pickMemoryType;

constexpr VkMemoryPropertyFlags kLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, kVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                kCoherent = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, kCached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;

VkPhysicalDeviceMemoryProperties table(std::initializer_list<VkMemoryPropertyFlags> types) {
  VkPhysicalDeviceMemoryProperties p{};
  p.memoryHeapCount = 2;
  for (VkMemoryPropertyFlags f : types) p.memoryTypes[p.memoryTypeCount++] = VkMemoryType{f, (f & kLocal) ? 0u : 1u};
  return p;
}

PVG_TEST("vulkan memory types: a discrete GPU whose cached memory is not coherent reads back from the cached type") {
  // System memory as uncached (write-combined) coherent and as cached non-coherent, device memory,
  // and a BAR window on device memory.
  const auto p = table({kLocal, kVisible | kCoherent, kVisible | kCached, kLocal | kVisible | kCoherent});
  PVG_CHECK(pickMemoryType(p, ~0u, MemoryUse::Readback) == 2);
  PVG_CHECK(pickMemoryType(p, ~0u, MemoryUse::Upload) == 1);  // write-combined: the CPU only writes it
  PVG_CHECK(pickMemoryType(p, ~0u, MemoryUse::Device) == 0);
  // The buffer may not live in the cached type: uncached system memory, not the BAR (reading a BAR
  // crosses the bus for every load).
  PVG_CHECK(pickMemoryType(p, 0b1011u, MemoryUse::Readback) == 1);
  PVG_CHECK(pickMemoryType(p, 0b1001u, MemoryUse::Readback) == 3);
  PVG_CHECK(pickMemoryType(p, 0b0001u, MemoryUse::Readback) == -1);
  PVG_CHECK(pickMemoryType(p, 0b0101u, MemoryUse::Upload) == -1);  // uploads are written without flushes: coherent only
}

PVG_TEST("vulkan memory types: cached coherent memory before cached non-coherent, whatever the order") {
  // Shaped like the tables NVIDIA's and AMD's desktop drivers report: a type with no flags, device
  // memory, uncached and cached coherent system memory, a BAR window.
  const auto nv = table({0, kLocal, kVisible | kCoherent, kVisible | kCoherent | kCached, kLocal | kVisible | kCoherent});
  PVG_CHECK(pickMemoryType(nv, ~0u, MemoryUse::Readback) == 3);
  PVG_CHECK(pickMemoryType(nv, ~0u, MemoryUse::Upload) == 2);
  PVG_CHECK(pickMemoryType(nv, ~0u, MemoryUse::Device) == 1);
  const auto both = table({kVisible | kCached, kVisible | kCoherent | kCached});
  PVG_CHECK(pickMemoryType(both, ~0u, MemoryUse::Readback) == 1);
  PVG_CHECK(pickMemoryType(both, ~0u, MemoryUse::Upload) == 1);
}

PVG_TEST("vulkan memory types: one type for everything (an integrated GPU, lavapipe) serves every use") {
  const auto uma = table({kLocal | kVisible | kCoherent | kCached});
  for (MemoryUse use : {MemoryUse::Device, MemoryUse::Upload, MemoryUse::Readback}) PVG_CHECK(pickMemoryType(uma, ~0u, use) == 0);
  // Only host memory: the device's buffers go there too.
  const auto host = table({kVisible | kCoherent});
  PVG_CHECK(pickMemoryType(host, ~0u, MemoryUse::Device) == 0);
  // Lazily allocated memory is for transient images, never for these buffers.
  const auto lazy = table({kLocal | VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT, kLocal});
  PVG_CHECK(pickMemoryType(lazy, ~0u, MemoryUse::Device) == 1);
  PVG_CHECK(vk::memoryFlagNames(kVisible | kCached) == "HOST_VISIBLE|HOST_CACHED");
  PVG_CHECK(vk::memoryFlagNames(0) == "none");
}

// Lavapipe has one memory type with every host flag. This table says it has three: uncached
// coherent, cached non-coherent (the readback's choice) and device memory, all backed by the real
// one; it counts the invalidates the store makes and checks their ranges.
struct NonCoherent {
  static inline PFN_vkGetPhysicalDeviceMemoryProperties realProperties = nullptr;
  static inline PFN_vkGetBufferMemoryRequirements realRequirements = nullptr;
  static inline PFN_vkAllocateMemory realAllocate = nullptr;
  static inline PFN_vkInvalidateMappedMemoryRanges realInvalidate = nullptr;
  static inline uint32_t realType = 0;
  static inline VkDeviceSize atom = 1;
  static inline std::atomic<uint32_t> cachedAllocations{0}, invalidates{0}, badRanges{0};
  static inline std::atomic<VkDeviceSize> lastOffset{0}, lastSize{0};

  static VKAPI_ATTR void VKAPI_CALL properties(VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties* p) {
    realProperties(pd, p);
    for (uint32_t i = 0; i < p->memoryTypeCount; ++i)
      if ((p->memoryTypes[i].propertyFlags & (kVisible | kCoherent)) == (kVisible | kCoherent)) realType = i;
    const uint32_t heap = p->memoryTypes[realType].heapIndex;
    p->memoryTypeCount = 3;
    p->memoryTypes[0] = {kVisible | kCoherent, heap};
    p->memoryTypes[1] = {kVisible | kCached, heap};
    p->memoryTypes[2] = {kLocal, heap};
  }
  static VKAPI_ATTR void VKAPI_CALL requirements(VkDevice d, VkBuffer b, VkMemoryRequirements* r) {
    realRequirements(d, b, r);
    r->memoryTypeBits = (r->memoryTypeBits & (1u << realType)) ? 0b111u : 0u;
  }
  static VKAPI_ATTR VkResult VKAPI_CALL allocate(VkDevice d, const VkMemoryAllocateInfo* i, const VkAllocationCallbacks* a, VkDeviceMemory* m) {
    if (i->memoryTypeIndex == 1) cachedAllocations.fetch_add(1);
    VkMemoryAllocateInfo real = *i;
    real.memoryTypeIndex = realType;
    return realAllocate(d, &real, a, m);
  }
  static VKAPI_ATTR VkResult VKAPI_CALL invalidate(VkDevice d, uint32_t n, const VkMappedMemoryRange* ranges) {
    invalidates.fetch_add(1);
    for (uint32_t i = 0; i < n; ++i) {
      if (ranges[i].offset % atom != 0 || (ranges[i].size != VK_WHOLE_SIZE && ranges[i].size % atom != 0)) badRanges.fetch_add(1);
      lastOffset = ranges[i].offset;
      lastSize = ranges[i].size;
    }
    return realInvalidate(d, n, ranges);
  }
  static void wrap(vk::Fns& fns) {
    realProperties = fns.vkGetPhysicalDeviceMemoryProperties;
    realRequirements = fns.vkGetBufferMemoryRequirements;
    realAllocate = fns.vkAllocateMemory;
    realInvalidate = fns.vkInvalidateMappedMemoryRanges;
    fns.vkGetPhysicalDeviceMemoryProperties = &properties;
    fns.vkGetBufferMemoryRequirements = &requirements;
    fns.vkAllocateMemory = &allocate;
    fns.vkInvalidateMappedMemoryRanges = &invalidate;
  }
};

PVG_TEST("vulkan: a readback buffer in cached non-coherent memory is invalidated before the CPU reads it") {
  auto gpu = pvg::test::vulkan::device(&NonCoherent::wrap);
  if (!gpu) return;
  NonCoherent::atom = std::max<VkDeviceSize>(1, gpu->limits.nonCoherentAtomSize);
  NonCoherent::cachedAllocations = NonCoherent::invalidates = NonCoherent::badRanges = 0;
  const uint32_t w = 97, h = 61;
  auto store = vk::makeFrameStore(gpu);
  SoftFrameStore soft;
  PVG_REQUIRE(store->resize(w, h) && soft.resize(w, h));
  PVG_CHECK(NonCoherent::cachedAllocations.load() == 1);  // the readback buffer, and nothing else
  std::vector<uint32_t> got(size_t{w} * h), want(size_t{w} * h);
  const uint32_t stride = w * 4;
  for (uint32_t round = 0; round < 6; ++round) {
    FrameStore* both[2] = {store.get(), &soft};
    for (FrameStore* s : both) {
      PVG_REQUIRE(s->fill(Rect{0, 0, w, h}, 0xFF000000u | round, nullptr) == DrawStatus::Ok);
      PVG_REQUIRE(s->fill(Rect{3 + round, 5 + round * 7, 40, 9}, pvg::test::vulkan::mix(round), nullptr) == DrawStatus::Ok);
    }
    store->present();
    // Rows 5 + 7·round … of a partial-width rectangle: the invalidated range covers its bytes.
    const Rect r{2, 4 + round * 7, 50, 12};
    const VkDeviceSize first = (VkDeviceSize{r.y} * w + r.x) * 4, end = (VkDeviceSize{r.y + r.h - 1} * w + r.x + r.w) * 4;
    const uint32_t before = NonCoherent::invalidates.load();
    if (round % 2 == 0) {
      PVG_REQUIRE(store->prepareReadback(std::span<const Rect>(&r, 1)));
    } else {
      std::atomic<bool> ok{false};
      PVG_REQUIRE(store->beginReadback(std::span<const Rect>(&r, 1), [&](bool done) { ok = done; }));
      store->settleReadback();
      PVG_REQUIRE(ok.load());
    }
    PVG_CHECK(NonCoherent::invalidates.load() == before + 1);
    const VkDeviceSize offset = NonCoherent::lastOffset.load(), size = NonCoherent::lastSize.load();
    PVG_CHECK(offset <= first && (size == VK_WHOLE_SIZE || offset + size >= end));
    const size_t at = (size_t{r.y} * w + r.x) * 4;
    PVG_REQUIRE(store->copyRegionTo(reinterpret_cast<uint8_t*>(got.data()) + at, got.size() * 4 - at, stride, r));
    PVG_REQUIRE(soft.copyRegionTo(reinterpret_cast<uint8_t*>(want.data()) + at, want.size() * 4 - at, stride, r));
    PVG_CHECK(got == want);
  }
  PVG_CHECK(NonCoherent::badRanges.load() == 0);
  PVG_CHECK(store->fault() == StoreFault::None);
}
}  // namespace
#endif
