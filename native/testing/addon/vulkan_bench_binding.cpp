// benchVulkan(width, height, iterations, opts?) -> { device, rates }: the vulkan backend's pixel store
// (engine/vulkan/) against plain Vulkan buffer copies on the same device, measured in the same
// call, for bench/suites/vulkan.ts. Each rate is destination bytes per second (width × height × 4
// per iteration), the timed span ending when the device has finished (a fence):
//   fill, blit, blend   the store's whole-frame fill, copy blit and source-over blit (the blits
//                       include staging the source on the CPU, as a guest's blit does; the blend
//                       draws onto an opaque frame)
//   blit_tiles          the same bytes as `blit`, drawn as the band workload draws: 256x256 copy
//                       blits tiling the frame (each a copy per row of 1 KiB on the buffer frame)
//   readback            the store's whole-frame readback into host memory (what an encode does)
//   soft_*              the soft store's same operations, on this thread
//   copy_device         a plain vkCmdCopyBuffer device-local → device-local (the memory bandwidth
//                       reference for fill and blit)
//   copy_to_host        a plain vkCmdCopyBuffer device-local → host-visible, then fenced (the bus
//                       copy alone)
//   copy_to_host_read   the same, then the CPU copies the host-visible buffer into a surface: the
//                       least a readback can do, so the reference for `readback`
// The host-visible reference buffer has the memory type the store's readback buffer gets
// (device.readbackMemory names its flags; device.uploadMemory the staging's).
//   frames_waited       a frame loop as the ring executor runs it: draw a frame (a whole-frame copy
//                       blit staged on the CPU, a fill), present, read it back whole into a
//                       surface, with the executor waiting for the readback's fence and copying
//   frames_async        the same loop with the encode's asynchronous readback: the copy into the
//                       surface runs on the store's completion thread while the next frame is
//                       drawn (the CPU/GPU overlap; the loop ends waiting for the last)
//   frames_async_one_buffer  the frames_async loop on a store with one drawing command buffer
//                       instead of the engine's two: the next frame's drawing (its staging on the
//                       CPU included) waits for the previous frame's drawing to finish on the GPU
// opts.drawOnly: fill, blit and blend through both stores and nothing else (`bench engine
// --engine vulkan`'s render rates; the rest is `bench vulkan`'s).
// Throws with the refusal where the backend cannot run.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "addon/args.h"
#include "engine/render/frame_store.h"
#include "engine/vulkan/vulkan_backend.h"
#include "testing/addon/bindings.h"

#if PVG_VULKAN
#include "engine/vulkan/gpu_device.h"
#include "engine/vulkan/memory_types.h"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // Vulkan create-infos: {sType}, then fields
#endif

namespace pvg::addon {
namespace {
constexpr const char* kFn = "benchVulkan";
using Clock = std::chrono::steady_clock;

class Rows final : public engine::RowSource {
 public:
  Rows(const std::vector<uint32_t>& words, uint32_t w) : words_(words), w_(w) {}
  const uint8_t* row(uint32_t y) override { return reinterpret_cast<const uint8_t*>(words_.data() + size_t{y} * w_); }

 private:
  const std::vector<uint32_t>& words_;
  uint32_t w_;
};

// Bytes per second of `iterations` runs of op (then sync), after `warmups` untimed runs.
template <typename Op, typename Sync>
double rate(double bytes, uint32_t iterations, Op op, Sync sync, uint32_t warmups = 1) {
  for (uint32_t i = 0; i < warmups; ++i) op();
  sync();
  const auto start = Clock::now();
  for (uint32_t i = 0; i < iterations; ++i) op();
  sync();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  return bytes * iterations / s;
}

#if PVG_VULKAN
// Two plain buffers and a command buffer on the device: the references.
struct PlainCopies {
  explicit PlainCopies(engine::vk::GpuDevice& g, VkDeviceSize bytes) : g(g), f(g.fns), bytes(bytes) {
    src = make(engine::vk::MemoryUse::Device, srcMem);
    dst = make(engine::vk::MemoryUse::Device, dstMem);
    host = make(engine::vk::MemoryUse::Readback, hostMem, &hostFlags);
    void* view = nullptr;
    ok = ok && f.vkMapMemory(g.device, hostMem, 0, VK_WHOLE_SIZE, 0, &view) == VK_SUCCESS;
    mapped = static_cast<const uint8_t*>(view);
    VkCommandPoolCreateInfo p{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    p.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    p.queueFamilyIndex = g.queueFamily;
    ok = ok && f.vkCreateCommandPool(g.device, &p, nullptr, &pool) == VK_SUCCESS;
    VkCommandBufferAllocateInfo a{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    a.commandPool = pool;
    a.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    a.commandBufferCount = 1;
    ok = ok && f.vkAllocateCommandBuffers(g.device, &a, &cmd) == VK_SUCCESS;
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    ok = ok && f.vkCreateFence(g.device, &fi, nullptr, &fence) == VK_SUCCESS;
  }
  ~PlainCopies() {
    f.vkDeviceWaitIdle(g.device);
    if (fence) f.vkDestroyFence(g.device, fence, nullptr);
    if (pool) f.vkDestroyCommandPool(g.device, pool, nullptr);
    if (mapped) f.vkUnmapMemory(g.device, hostMem);
    for (auto [b, m] : {std::pair{src, srcMem}, std::pair{dst, dstMem}, std::pair{host, hostMem}}) {
      if (b) f.vkDestroyBuffer(g.device, b, nullptr);
      if (m) f.vkFreeMemory(g.device, m, nullptr);
    }
  }
  VkBuffer make(engine::vk::MemoryUse use, VkDeviceMemory& mem, VkMemoryPropertyFlags* flags = nullptr) {
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = bytes;
    info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer b = VK_NULL_HANDLE;
    if (f.vkCreateBuffer(g.device, &info, nullptr, &b) != VK_SUCCESS) {
      ok = false;
      return VK_NULL_HANDLE;
    }
    VkMemoryRequirements req{};
    f.vkGetBufferMemoryRequirements(g.device, b, &req);
    const int type = engine::vk::pickMemoryType(g.memory, req.memoryTypeBits, use);
    if (flags != nullptr && type >= 0) *flags = g.memory.memoryTypes[type].propertyFlags;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = static_cast<uint32_t>(type);
    ok = ok && type >= 0 && f.vkAllocateMemory(g.device, &alloc, nullptr, &mem) == VK_SUCCESS && f.vkBindBufferMemory(g.device, b, mem, 0) == VK_SUCCESS;
    return b;
  }
  // One copy, submitted and waited for.
  void copy(VkBuffer to) {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    f.vkResetCommandBuffer(cmd, 0);
    f.vkBeginCommandBuffer(cmd, &begin);
    const VkBufferCopy region{0, 0, bytes};
    f.vkCmdCopyBuffer(cmd, src, to, 1, &region);
    f.vkEndCommandBuffer(cmd);
    VkSubmitInfo s{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    s.commandBufferCount = 1;
    s.pCommandBuffers = &cmd;
    {
      std::lock_guard lock(g.queueMutex);
      f.vkQueueSubmit(g.queue, 1, &s, fence);
    }
    f.vkWaitForFences(g.device, 1, &fence, VK_TRUE, UINT64_MAX);
    f.vkResetFences(g.device, 1, &fence);
  }
  // The host-visible buffer into `out` as the store's readback does (invalidated first where the
  // memory is not coherent).
  void read(uint8_t* out) {
    if (!(hostFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
      VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
      range.memory = hostMem;
      range.size = VK_WHOLE_SIZE;
      f.vkInvalidateMappedMemoryRanges(g.device, 1, &range);
    }
    std::memcpy(out, mapped, bytes);
  }
  engine::vk::GpuDevice& g;
  const engine::vk::Fns& f;
  VkDeviceSize bytes;
  bool ok = true;
  VkBuffer src = VK_NULL_HANDLE, dst = VK_NULL_HANDLE, host = VK_NULL_HANDLE;
  VkDeviceMemory srcMem = VK_NULL_HANDLE, dstMem = VK_NULL_HANDLE, hostMem = VK_NULL_HANDLE;
  VkMemoryPropertyFlags hostFlags = 0;
  const uint8_t* mapped = nullptr;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
};
#endif

Napi::Value BenchVulkan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto width = static_cast<uint32_t>(integerIn(info[0], 64, engine::Frame::kMaxDimension, std::string(kFn) + ": width"));
  const auto height = static_cast<uint32_t>(integerIn(info[1], 64, engine::Frame::kMaxDimension, std::string(kFn) + ": height"));
  const auto iterations = static_cast<uint32_t>(integerIn(info[2], 1, 100'000, std::string(kFn) + ": iterations"));
  bool drawOnly = false;
  if (!info[3].IsUndefined()) {
    const Napi::Value v = options(info[3], std::string(kFn) + ": opts").Get("drawOnly");
    if (!v.IsUndefined() && !v.IsBoolean()) throw Napi::TypeError::New(env, std::string(kFn) + ": opts.drawOnly must be a boolean");
    drawOnly = !v.IsUndefined() && v.As<Napi::Boolean>().Value();
  }
  const engine::vk::OpenResult opened = engine::vk::openDevice(engine::vk::OpenOptions{});
  if (!opened.device) throw Napi::Error::New(env, std::string(kFn) + ": " + engine::vk::refusalName(*opened.refusal) + " (" + opened.detail + ")");
  const double bytes = double{width} * height * 4;
  const engine::Rect all{0, 0, width, height};
  std::vector<uint32_t> source(size_t{width} * height);
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint32_t>(i * 2654435761u);  // alpha varies per pixel
  std::vector<uint8_t> surface(size_t{width} * height * 4);

  Napi::Object rates = Napi::Object::New(env);
  auto measure = [&](engine::FrameStore& store, const std::string& prefix) {
    if (!store.resize(width, height))
      throw Napi::Error::New(env, std::string(kFn) + ": cannot make the frame (" + std::string(strings::name(store.fault())) + ")");
    auto sync = [&] {
      const engine::Rect one{0, 0, 1, 1};
      if (!store.prepareReadback(std::span<const engine::Rect>(&one, 1))) throw Napi::Error::New(env, std::string(kFn) + ": device fault");
    };
    uint32_t colour = 0xFF000000u;
    rates.Set(prefix + "fill", rate(
                                   bytes, iterations, [&] { store.fill(all, colour++, nullptr); }, sync));
    rates.Set(prefix + "blit", rate(
                                   bytes, iterations,
                                   [&] {
                                     Rows rows(source, width);
                                     store.blit(all, engine::BlendMode::Copy, rows, nullptr);
                                   },
                                   sync));
    // The band workload's shape: 256x256 tiles, each row its own copy region on the buffer frame.
    if (!drawOnly)
      rates.Set(prefix + "blit_tiles",
                rate(
                    bytes, iterations,
                    [&] {
                      for (uint32_t y = 0; y < height; y += 256)
                        for (uint32_t x = 0; x < width; x += 256) {
                          Rows rows(source, width);
                          store.blit(engine::Rect{x, y, std::min(256u, width - x), std::min(256u, height - y)}, engine::BlendMode::Copy, rows, nullptr);
                        }
                    },
                    sync));
    // Onto an opaque frame, the display's usual case (bench engine's blend too): the blits above
    // left the source's alphas in it, which would send the soft store down its per-pixel path.
    store.fill(all, 0xFF203040u, nullptr);
    rates.Set(prefix + "blend", rate(
                                    bytes, iterations,
                                    [&] {
                                      Rows rows(source, width);
                                      store.blit(all, engine::BlendMode::SourceOver, rows, nullptr);
                                    },
                                    sync));
    if (drawOnly) return;
    rates.Set(prefix + "readback", rate(
                                       bytes, iterations,
                                       [&] {
                                         if (!store.prepareReadback(std::span<const engine::Rect>(&all, 1)))
                                           throw Napi::Error::New(env, std::string(kFn) + ": device fault");
                                         store.copyRegionTo(surface.data(), surface.size(), width * 4, all);
                                       },
                                       [] {}));
  };
  auto gpu = engine::vk::makeFrameStore(opened.device);
  measure(*gpu, "");
  // The frame loop both ways, on the same store, one after the other (frame bytes per second);
  // then the asynchronous one on a store drawing with one command buffer (the testing addon's
  // switch: the engine always has two).
  // Untimed frames first: one per drawing command buffer and one more, so each buffer's staging
  // has been written once (its first touch costs page faults on a CPU device) in every variant.
  constexpr uint32_t kFrameWarmups = engine::vk::kMaxDrawBuffers + 1;
  auto frameLoop = [&](engine::FrameStore& store, bool async) {
    uint32_t colour = 0xFF000000u;
    auto drawFrame = [&] {
      Rows rows(source, width);
      store.blit(all, engine::BlendMode::Copy, rows, nullptr);
      store.fill(engine::Rect{0, 0, width, height / 8}, colour++, nullptr);
      store.present();
    };
    auto fault = [&] { return Napi::Error::New(env, std::string(kFn) + ": device fault"); };
    if (!async)
      return rate(
          bytes, iterations,
          [&] {
            drawFrame();
            if (!store.prepareReadback(std::span<const engine::Rect>(&all, 1))) throw fault();
            store.copyRegionTo(surface.data(), surface.size(), width * 4, all);
          },
          [] {}, kFrameWarmups);
    return rate(
        bytes, iterations,
        [&] {
          drawFrame();
          // Waits for the previous frame's completion first (one readback in flight), as the engine's next encode does.
          const bool started = store.beginReadback(std::span<const engine::Rect>(&all, 1), [&](bool ok) {
            if (ok) store.copyRegionTo(surface.data(), surface.size(), width * 4, all);
          });
          if (!started) throw fault();
        },
        [&] { store.settleReadback(); }, kFrameWarmups);
  };
  if (!drawOnly) {
    rates.Set("frames_waited", frameLoop(*gpu, false));
    rates.Set("frames_async", frameLoop(*gpu, true));
  }
  if (gpu->fault() != engine::StoreFault::None) throw Napi::Error::New(env, std::string(kFn) + ": device fault");
  gpu.reset();  // its buffers go before the next store's come
  if (!drawOnly) {
    auto oneBuffer = engine::vk::makeFrameStore(opened.device, 0, nullptr, nullptr, /*drawBuffers=*/1);
    if (!oneBuffer->resize(width, height))
      throw Napi::Error::New(env, std::string(kFn) + ": cannot make the frame (" + std::string(strings::name(oneBuffer->fault())) + ")");
    rates.Set("frames_async_one_buffer", frameLoop(*oneBuffer, true));
    if (oneBuffer->fault() != engine::StoreFault::None) throw Napi::Error::New(env, std::string(kFn) + ": device fault");
  }
  engine::SoftFrameStore soft;
  measure(soft, "soft_");
#if PVG_VULKAN
  std::optional<PlainCopies> plain;
  if (!drawOnly) {
    plain.emplace(*opened.device, static_cast<VkDeviceSize>(bytes));
    if (!plain->ok) throw Napi::Error::New(env, std::string(kFn) + ": cannot make the reference buffers");
    rates.Set("copy_device", rate(
                                 bytes, iterations, [&] { plain->copy(plain->dst); }, [] {}));
    rates.Set("copy_to_host", rate(
                                  bytes, iterations, [&] { plain->copy(plain->host); }, [] {}));
    rates.Set("copy_to_host_read", rate(
                                       bytes, iterations,
                                       [&] {
                                         plain->copy(plain->host);
                                         plain->read(surface.data());
                                       },
                                       [] {}));
  }
#endif
  const engine::vk::DeviceInfo d = engine::vk::deviceInfo(*opened.device);
  Napi::Object device = Napi::Object::New(env);
  device.Set("name", d.name);
  device.Set("type", d.type);
#if PVG_VULKAN
  if (plain) device.Set("readbackMemory", engine::vk::memoryFlagNames(plain->hostFlags));
  const int upload = engine::vk::pickMemoryType(opened.device->memory, ~0u, engine::vk::MemoryUse::Upload);
  device.Set("uploadMemory", upload < 0 ? std::string("none") : engine::vk::memoryFlagNames(opened.device->memory.memoryTypes[upload].propertyFlags));
#endif
  Napi::Object out = Napi::Object::New(env);
  out.Set("device", device);
  out.Set("rates", rates);
  return out;
}
}  // namespace

void registerVulkanBench(Napi::Env env, Napi::Object exports) { exports.Set("benchVulkan", Napi::Function::New<BenchVulkan>(env, kFn)); }
}  // namespace pvg::addon
