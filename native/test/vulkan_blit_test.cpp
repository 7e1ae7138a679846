// The vulkan store's blits through the blit shader (engine/vulkan/shaders/blend_over.comp): copy
// blits narrower than the frame (one dispatch, not a copy region per row) and source-over, on a
// frame larger than the window the shader sees it through (maxStorageBufferRange shrunk to the
// backend's 1 MiB minimum through the entry-point table, so a 2 MiB frame needs windows), against
// the soft store's pixels.
#include <random>
#include <vector>

#include "engine/render/frame_store.h"
#include "engine/vulkan/vulkan_backend.h"
#include "harness.h"
#include "vulkan_test_support.h"

#if PVG_VULKAN
#include "engine/vulkan/vulkan_fns.h"

namespace {
using namespace pvg::engine;
using pvg::test::vulkan::mix;
using pvg::test::vulkan::readAll;
using pvg::test::vulkan::Rows;

struct SmallWindow {
  static inline PFN_vkGetPhysicalDeviceProperties realProperties = nullptr;
  static VKAPI_ATTR void VKAPI_CALL properties(VkPhysicalDevice pd, VkPhysicalDeviceProperties* p) {
    realProperties(pd, p);
    p->limits.maxStorageBufferRange = 1u << 20;
  }
  static void wrap(vk::Fns& fns) {
    realProperties = fns.vkGetPhysicalDeviceProperties;
    fns.vkGetPhysicalDeviceProperties = &properties;
  }
};

PVG_TEST("vulkan: blits narrower than the frame, copy and source-over, through the shader's window on a frame past it") {
  auto gpu = pvg::test::vulkan::device(&SmallWindow::wrap);
  if (!gpu) return;
  const uint32_t w = 700, h = 800;  // 2.1 MiB: about two windows
  auto store = vk::makeFrameStore(gpu);
  SoftFrameStore soft;
  PVG_REQUIRE(store->resize(w, h) && soft.resize(w, h));
  FrameStore* both[2] = {store.get(), &soft};
  for (FrameStore* s : both) PVG_REQUIRE(s->fill(Rect{0, 0, w, h}, 0x80402010u, nullptr) == DrawStatus::Ok);
  std::mt19937 rng(7);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  for (uint32_t op = 0; op < 40; ++op) {
    // Tall rectangles, so most cross a window's end; a whole-width one now and then (one copy).
    const uint32_t rw = op % 8 == 0 ? w : 1 + pick(w - 1), rh = 1 + pick(h);
    const Rect r{pick(w - rw + 1), pick(h - rh + 1), rw, rh};
    std::vector<uint32_t> src(size_t{rw} * rh);
    for (size_t i = 0; i < src.size(); ++i) src[i] = mix(static_cast<uint32_t>(i) * 31 + op);  // every alpha
    const BlendMode mode = op % 2 ? BlendMode::SourceOver : BlendMode::Copy;
    Rows a(src, rw), b(src, rw);
    PVG_CHECK(store->blit(r, mode, a, nullptr) == DrawStatus::Ok);
    PVG_CHECK(soft.blit(r, mode, b, nullptr) == DrawStatus::Ok);
    if (op % 10 == 9) store->present();
  }
  PVG_CHECK(readAll(*store) == readAll(soft));
  PVG_CHECK(store->fault() == StoreFault::None);
}
}  // namespace
#endif
