// The vulkan backend's pixel store against the soft one (engine/render/frame_store.h): every
// source-over pair of alphas, random sequences of fill, copy and blit (partial blits included)
// read back and compared word for word, and injected Vulkan failures (an allocation that fails,
// a submit that reports the device lost) becoming typed faults. Runs on whatever device the
// loader finds (lavapipe in CI); where the backend cannot run, it fails with the reason unless
// PVG_NO_VULKAN=1 says that is expected.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/render/blend.h"
#include "engine/render/frame_store.h"
#include "engine/vulkan/vulkan_backend.h"
#include "harness.h"
#include "vulkan_test_support.h"

#if PVG_VULKAN
#include "engine/vulkan/gpu_device.h"
#include "engine/vulkan/vulkan_fns.h"
#endif

namespace {
using namespace pvg::engine;
using pvg::test::vulkan::device;
using pvg::test::vulkan::mix;
using pvg::test::vulkan::readAll;
using pvg::test::vulkan::Rows;

PVG_TEST("vulkan: source-over gives blend.h's integers for every pair of alphas") {
  auto gpu = device();
  if (!gpu) return;
  auto store = vk::makeFrameStore(gpu);
  PVG_REQUIRE(store->resize(256, 256));
  for (uint32_t round = 0; round < 3; ++round) {
    // Destination alpha y, source alpha x, colours hashed: all 65536 (A_s, A_d) pairs.
    std::vector<uint32_t> dst(256 * 256), src(256 * 256);
    for (uint32_t y = 0; y < 256; ++y)
      for (uint32_t x = 0; x < 256; ++x) {
        dst[y * 256 + x] = (y << 24) | (mix(y * 256 + x + round * 131071) & 0xFFFFFF);
        src[y * 256 + x] = (x << 24) | (mix(~(y * 256 + x) + round) & 0xFFFFFF);
      }
    Rows d(dst, 256), s(src, 256);
    PVG_REQUIRE(store->blit(Rect{0, 0, 256, 256}, BlendMode::Copy, d, nullptr) == DrawStatus::Ok);
    PVG_REQUIRE(store->blit(Rect{0, 0, 256, 256}, BlendMode::SourceOver, s, nullptr) == DrawStatus::Ok);
    const std::vector<uint32_t> got = readAll(*store);
    uint32_t wrong = 0;
    for (size_t i = 0; i < got.size(); ++i) wrong += got[i] != blendOver(src[i], dst[i]);
    PVG_CHECK(wrong == 0);
  }
}

PVG_TEST("vulkan: random fills, copies and blits read back as the soft store's") {
  auto gpu = device();
  if (!gpu) return;
  std::mt19937 rng(12345);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  for (uint32_t trial = 0; trial < 6; ++trial) {
    const uint32_t w = 64 + pick(300), h = 64 + pick(200);
    auto gpuStore = vk::makeFrameStore(gpu);
    SoftFrameStore soft;
    PVG_REQUIRE(gpuStore->resize(w, h) && soft.resize(w, h));
    FrameStore* both[2] = {gpuStore.get(), &soft};
    for (FrameStore* s : both) PVG_REQUIRE(s->fill(Rect{0, 0, w, h}, 0xFF000000u, nullptr) == DrawStatus::Ok);
    for (uint32_t op = 0; op < 200; ++op) {
      // Rectangles mostly inside, sometimes not (both must refuse alike).
      const Rect r{pick(w + 8), pick(h + 8), pick(w / 2 + 1), pick(h / 2 + 1)};
      DrawStatus a = DrawStatus::Ok, b = DrawStatus::Ok;
      switch (pick(4)) {
        case 0: {
          const uint32_t argb = mix(op + trial * 1000);
          a = gpuStore->fill(r, argb, nullptr);
          b = soft.fill(r, argb, nullptr);
          break;
        }
        case 1: {
          const uint32_t sx = pick(w), sy = pick(h);
          a = gpuStore->copy(sx, sy, r, nullptr);
          b = soft.copy(sx, sy, r, nullptr);
          break;
        }
        default: {
          std::vector<uint32_t> src(size_t{r.w} * r.h + 1);
          for (size_t i = 0; i < src.size(); ++i) src[i] = mix(static_cast<uint32_t>(i) + op * 7919);
          const uint32_t failAt = pick(4) == 0 ? pick(r.h + 1) : ~0u;
          const BlendMode mode = pick(2) ? BlendMode::SourceOver : BlendMode::Copy;
          Rows ra(src, r.w, failAt), rb(src, r.w, failAt);
          a = gpuStore->blit(r, mode, ra, nullptr);
          b = soft.blit(r, mode, rb, nullptr);
          break;
        }
      }
      PVG_CHECK(a == b);
      if (op % 25 == 24) gpuStore->present();
    }
    PVG_CHECK(readAll(*gpuStore) == readAll(soft));
  }
}

PVG_TEST("vulkan: a damage-only readback copies exactly the regions asked for") {
  auto gpu = device();
  if (!gpu) return;
  auto store = vk::makeFrameStore(gpu);
  PVG_REQUIRE(store->resize(100, 80));
  PVG_REQUIRE(store->fill(Rect{0, 0, 100, 80}, 0xFF112233u, nullptr) == DrawStatus::Ok);
  PVG_REQUIRE(store->fill(Rect{10, 20, 30, 5}, 0xFFABCDEFu, nullptr) == DrawStatus::Ok);
  const Rect damage{10, 20, 30, 5};
  PVG_REQUIRE(store->prepareReadback(std::span<const Rect>(&damage, 1)));
  std::vector<uint32_t> out(30 * 5, 0);
  PVG_REQUIRE(store->copyRegionTo(reinterpret_cast<uint8_t*>(out.data()), out.size() * 4, 30 * 4, damage));
  for (uint32_t v : out) PVG_CHECK(v == 0xFFABCDEFu);
  // Refused as Frame::copyRegionTo refuses: outside the frame, a stride too small.
  PVG_CHECK(!store->copyRegionTo(reinterpret_cast<uint8_t*>(out.data()), out.size() * 4, 30 * 4, Rect{90, 0, 30, 5}));
  PVG_CHECK(!store->copyRegionTo(reinterpret_cast<uint8_t*>(out.data()), out.size() * 4, 29 * 4, damage));
}

PVG_TEST("vulkan: growing or releasing the frame with drawing not yet submitted runs that drawing first") {
  auto gpu = device();
  if (!gpu) return;
  auto store = vk::makeFrameStore(gpu);
  SoftFrameStore soft;
  for (FrameStore* s : {static_cast<FrameStore*>(store.get()), static_cast<FrameStore*>(&soft)}) {
    PVG_REQUIRE(s->resize(64, 32));
    PVG_REQUIRE(s->fill(Rect{0, 0, 64, 32}, 0xFF0000FFu, nullptr) == DrawStatus::Ok);
    PVG_REQUIRE(s->resize(128, 128));  // larger: new buffers, with the fill still only recorded
    PVG_REQUIRE(s->fill(Rect{0, 0, 128, 128}, 0xFF00FF00u, nullptr) == DrawStatus::Ok);
    PVG_REQUIRE(s->fill(Rect{5, 6, 7, 8}, 0xFFFF0000u, nullptr) == DrawStatus::Ok);
  }
  PVG_CHECK(readAll(*store) == readAll(soft));
  PVG_REQUIRE(store->fill(Rect{0, 0, 8, 8}, 0, nullptr) == DrawStatus::Ok);
  store->release();  // the recorded fill runs (or is dropped) before the buffers go: no crash, nothing left
  PVG_CHECK(store->capacity() == 0 && store->empty());
  PVG_CHECK(store->fault() == StoreFault::None);
}

PVG_TEST("vulkan: an asynchronous readback reads the frame as it was when it began, while drawing goes on") {
  auto gpu = device();
  if (!gpu) return;
  std::mt19937 rng(777);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint32_t w = 200, h = 120;
  auto store = vk::makeFrameStore(gpu);
  SoftFrameStore soft;
  PVG_REQUIRE(store->asyncReadback() && !soft.asyncReadback());
  PVG_REQUIRE(store->resize(w, h) && soft.resize(w, h));
  // A resized store's contents are unspecified (the GPU's memory may hold an earlier test's frame).
  for (FrameStore* s : {static_cast<FrameStore*>(store.get()), static_cast<FrameStore*>(&soft)})
    PVG_REQUIRE(s->fill(Rect{0, 0, w, h}, 0xFF000000u, nullptr) == DrawStatus::Ok);
  std::vector<uint32_t> got(size_t{w} * h), want(size_t{w} * h);
  std::atomic<uint32_t> completed{0}, notOk{0};
  uint32_t begun = 0, wrong = 0;
  for (uint32_t op = 0; op < 400; ++op) {
    const Rect r{pick(w), pick(h), 1 + pick(w / 2), 1 + pick(h / 2)};
    const Rect clipped{r.x, r.y, std::min(r.w, w - r.x), std::min(r.h, h - r.y)};
    const uint32_t argb = mix(op * 31 + 5);
    PVG_REQUIRE(store->fill(clipped, argb, nullptr) == DrawStatus::Ok && soft.fill(clipped, argb, nullptr) == DrawStatus::Ok);
    if (pick(3) == 0) store->present();
    if (pick(4) != 0) continue;
    // The previous readback's check first (beginReadback would wait for it anyway).
    store->settleReadback();
    if (begun != 0) wrong += got != want;
    // Begin one over a random region; draw on at once (into the frame the copy is reading).
    const Rect region{pick(w / 2), pick(h / 2), 1 + pick(w / 2), 1 + pick(h / 2)};
    std::fill(got.begin(), got.end(), 0u);
    std::fill(want.begin(), want.end(), 0u);
    PVG_REQUIRE(soft.copyRegionTo(reinterpret_cast<uint8_t*>(want.data()) + (size_t{region.y} * w + region.x) * 4, want.size() * 4, w * 4, region));
    FrameStore* s = store.get();
    PVG_REQUIRE(store->beginReadback(std::span<const Rect>(&region, 1), [&, s, region](bool ok) {
      if (!ok) notOk.fetch_add(1);
      s->copyRegionTo(reinterpret_cast<uint8_t*>(got.data()) + (size_t{region.y} * w + region.x) * 4, got.size() * 4, w * 4, region);
      completed.fetch_add(1);
    }));
    ++begun;
    if (pick(2) == 0) std::this_thread::sleep_for(std::chrono::microseconds(pick(300)));
  }
  store->settleReadback();
  wrong += got != want;
  PVG_CHECK(begun > 50);
  PVG_CHECK(completed.load() == begun);
  PVG_CHECK(notOk.load() == 0);
  PVG_CHECK(wrong == 0);
  // A resize waits for the one in flight (it reads the old size and buffers), as does release.
  const Rect all{0, 0, w, h};
  PVG_REQUIRE(store->beginReadback(std::span<const Rect>(&all, 1), [&](bool) { completed.fetch_add(1); }));
  PVG_REQUIRE(store->resize(w * 2, h));
  PVG_CHECK(completed.load() == begun + 1);
  PVG_CHECK(store->fault() == StoreFault::None);
}

#if PVG_VULKAN
// Injected failures: entry points that fail on demand, wrapped around the real ones.
struct Injected {
  static inline PFN_vkAllocateMemory realAllocate = nullptr;
  static inline PFN_vkQueueSubmit realSubmit = nullptr;
  static inline PFN_vkWaitForFences realWait = nullptr;
  static inline bool failAllocations = false, loseDevice = false;
  static inline std::atomic<bool> loseOnWait{false};  // read on the store's completion thread
  static VKAPI_ATTR VkResult VKAPI_CALL wait(VkDevice d, uint32_t n, const VkFence* f, VkBool32 all, uint64_t timeout) {
    const VkResult r = realWait(d, n, f, all, timeout);
    return loseOnWait.load() ? VK_ERROR_DEVICE_LOST : r;
  }
  static VKAPI_ATTR VkResult VKAPI_CALL allocate(VkDevice d, const VkMemoryAllocateInfo* i, const VkAllocationCallbacks* a, VkDeviceMemory* m) {
    return failAllocations ? VK_ERROR_OUT_OF_DEVICE_MEMORY : realAllocate(d, i, a, m);
  }
  static VKAPI_ATTR VkResult VKAPI_CALL submit(VkQueue q, uint32_t n, const VkSubmitInfo* s, VkFence f) {
    return loseDevice ? VK_ERROR_DEVICE_LOST : realSubmit(q, n, s, f);
  }
  static void wrap(vk::Fns& fns) {
    realAllocate = fns.vkAllocateMemory;
    realSubmit = fns.vkQueueSubmit;
    realWait = fns.vkWaitForFences;
    fns.vkAllocateMemory = &allocate;
    fns.vkQueueSubmit = &submit;
    fns.vkWaitForFences = &wait;
  }
};

PVG_TEST("vulkan: a device lost under an asynchronous readback: done(false) on the completion thread, a typed fault, nothing more starts") {
  Injected::failAllocations = Injected::loseDevice = false;
  Injected::loseOnWait = false;
  auto gpu = device(&Injected::wrap);
  if (!gpu) return;
  auto store = vk::makeFrameStore(gpu);
  PVG_REQUIRE(store->resize(64, 64));
  PVG_REQUIRE(store->fill(Rect{0, 0, 64, 64}, 0xFF000000u, nullptr) == DrawStatus::Ok);
  store->present();
  const Rect all{0, 0, 64, 64};
  std::atomic<int> answer{-1};
  Injected::loseOnWait = true;
  PVG_REQUIRE(store->beginReadback(std::span<const Rect>(&all, 1), [&](bool ok) { answer = ok ? 1 : 0; }));
  store->settleReadback();
  Injected::loseOnWait = false;
  PVG_CHECK(answer.load() == 0);
  PVG_CHECK(store->fault() == StoreFault::DeviceLost);
  PVG_CHECK(!store->beginReadback(std::span<const Rect>(&all, 1), [&](bool) { answer = 2; }));
  store->settleReadback();
  PVG_CHECK(answer.load() == 0);  // not called for one that did not start
  PVG_CHECK(store->fill(Rect{0, 0, 8, 8}, 0, nullptr) == DrawStatus::DeviceFault);
}

PVG_TEST("vulkan: a failed allocation is a typed fault (out-of-memory), not a crash") {
  Injected::failAllocations = Injected::loseDevice = false;
  auto gpu = device(&Injected::wrap);
  if (!gpu) return;
  auto store = vk::makeFrameStore(gpu);
  Injected::failAllocations = true;
  PVG_CHECK(!store->resize(64, 64));
  PVG_CHECK(store->fault() == StoreFault::OutOfMemory);
  PVG_CHECK(store->fill(Rect{0, 0, 1, 1}, 0, nullptr) == DrawStatus::NoFrame);
  Injected::failAllocations = false;
  PVG_CHECK(!store->resize(64, 64));  // the fault stays: the store does not come back half-made
}

PVG_TEST("vulkan: a lost device is a typed fault (device-lost): drawing and readback refuse from then on") {
  Injected::failAllocations = Injected::loseDevice = false;
  auto gpu = device(&Injected::wrap);
  if (!gpu) return;
  auto store = vk::makeFrameStore(gpu);
  PVG_REQUIRE(store->resize(64, 64));
  PVG_CHECK(store->fill(Rect{0, 0, 64, 64}, 0xFF000000u, nullptr) == DrawStatus::Ok);
  Injected::loseDevice = true;
  store->present();
  PVG_CHECK(store->fault() == StoreFault::DeviceLost);
  const Rect all{0, 0, 64, 64};
  PVG_CHECK(!store->prepareReadback(std::span<const Rect>(&all, 1)));
  PVG_CHECK(store->fill(Rect{0, 0, 8, 8}, 0, nullptr) == DrawStatus::DeviceFault);
  std::vector<uint32_t> src(64, 0);
  Rows rows(src, 8);
  PVG_CHECK(store->blit(Rect{0, 0, 8, 8}, BlendMode::SourceOver, rows, nullptr) == DrawStatus::DeviceFault);
  Injected::loseDevice = false;
  PVG_CHECK(store->fill(Rect{0, 0, 8, 8}, 0, nullptr) == DrawStatus::DeviceFault);
}
#endif

#if PVG_VULKAN
// One instance per process (vulkan_device.cpp, processInstance): NVIDIA's driver refused the 31st
// instance of a process, so engines that come and go must not each make one.
PVG_TEST("vulkan: devices opened one after another and on several threads share one instance") {
  auto first = device();
  if (!first) return;
  const VkInstance instance = first->instance;
  for (int i = 0; i < 40; ++i) {
    auto again = device();
    PVG_REQUIRE(again != nullptr);
    PVG_CHECK(again->instance == instance);
    PVG_CHECK(again->device != first->device);
  }
  std::vector<std::thread> threads;
  std::atomic<int> shared{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        const vk::OpenResult r = vk::openDevice(vk::OpenOptions{});
        if (r.device && r.device->instance == instance) shared.fetch_add(1);
      }
    });
  for (auto& t : threads) t.join();
  PVG_CHECK(shared.load() == 20);
}
#endif

PVG_TEST("vulkan: a loader that is not there is refused as no-loader (or not-built)") {
  vk::OpenOptions o;
  o.library = "libvulkan-does-not-exist.so.1";
  const vk::OpenResult r = vk::openDevice(o);
  PVG_CHECK(r.device == nullptr);
  PVG_CHECK(r.refusal == vk::Refusal::NoLoader || r.refusal == vk::Refusal::NotBuilt);
  PVG_CHECK(!r.detail.empty());
}
}  // namespace
