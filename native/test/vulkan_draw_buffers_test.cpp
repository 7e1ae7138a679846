// The vulkan store's drawing command buffers (engine/vulkan/gpu_frame_store.cpp): the next
// frame records into one buffer while the previous frame's runs on the GPU, and its completion
// (fence, handing the buffer back) runs on the store's completion thread. Many frames, each
// drawn over the whole frame from a source unique to it (through the staging buffer its command
// buffer reads), with presents, waited and asynchronous readbacks and sleeps at random points:
// every pixel read back must be the soft store's for that frame. A buffer re-recorded before its
// previous submit completed, a staging buffer refilled under the GPU, or a buffer's drawing not
// ordered after the other's shows as a pixel of the wrong frame. Runs under TSan too.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "engine/render/frame_store.h"
#include "engine/vulkan/vulkan_backend.h"
#include "harness.h"
#include "test_support.h"
#include "vulkan_test_support.h"

namespace {
using namespace pvg::engine;
using pvg::test::kUnderTsan;
using pvg::test::vulkan::device;
using pvg::test::vulkan::mix;
using pvg::test::vulkan::readAll;
using pvg::test::vulkan::Rows;

// One run of `frames` frames on a store with `buffers` drawing command buffers; the number of
// frames read back whose pixels were not that frame's.
uint32_t framesReadWrong(const std::shared_ptr<vk::GpuDevice>& gpu, unsigned buffers, uint32_t frames, uint32_t seed, uint32_t* checked) {
  std::mt19937 rng(seed);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint32_t w = 160, h = 96;
  const Rect all{0, 0, w, h};
  auto store = vk::makeFrameStore(gpu, 0, nullptr, nullptr, buffers);
  SoftFrameStore soft;
  PVG_REQUIRE(store->resize(w, h) && soft.resize(w, h));
  std::vector<uint32_t> source(size_t{w} * h), got(size_t{w} * h), want(size_t{w} * h);
  std::atomic<uint32_t> notOk{0};
  bool pending = false;  // an asynchronous readback begun and not yet checked
  uint32_t wrong = 0;
  auto checkPending = [&] {
    if (!pending) return;
    store->settleReadback();
    wrong += got != want;
    ++*checked;
    pending = false;
  };
  for (uint32_t frame = 0; frame < frames; ++frame) {
    // The frame's base: every pixel from a source no other frame has, staged on the CPU into the
    // staging buffer of the command buffer being recorded.
    for (size_t i = 0; i < source.size(); ++i) source[i] = 0xFF000000u | (mix(frame * 0x10001u + static_cast<uint32_t>(i)) & 0xFFFFFFu);
    for (FrameStore* s : {static_cast<FrameStore*>(store.get()), static_cast<FrameStore*>(&soft)}) {
      Rows rows(source, w);
      PVG_REQUIRE(s->blit(all, BlendMode::Copy, rows, nullptr) == DrawStatus::Ok);
    }
    // Then a few operations reading what this frame drew: source-over (the compute shader, slow
    // on a CPU device: the GPU falls behind), copies through the scratch buffer the buffers share,
    // fills.
    for (uint32_t op = pick(4); op > 0; --op) {
      const Rect r{pick(w / 2), pick(h / 2), 1 + pick(w / 2), 1 + pick(h / 2)};
      DrawStatus a = DrawStatus::Ok, b = DrawStatus::Ok;
      switch (pick(3)) {
        case 0: {
          std::vector<uint32_t> over(size_t{r.w} * r.h);
          for (size_t i = 0; i < over.size(); ++i) over[i] = mix(frame * 7919u + static_cast<uint32_t>(i) * 31u);
          Rows ra(over, r.w), rb(over, r.w);
          a = store->blit(r, BlendMode::SourceOver, ra, nullptr);
          b = soft.blit(r, BlendMode::SourceOver, rb, nullptr);
          break;
        }
        case 1: {
          const uint32_t sx = pick(w - r.w + 1), sy = pick(h - r.h + 1);
          a = store->copy(sx, sy, r, nullptr);
          b = soft.copy(sx, sy, r, nullptr);
          break;
        }
        default: {
          const uint32_t argb = mix(frame * 131u + op);
          a = store->fill(r, argb, nullptr);
          b = soft.fill(r, argb, nullptr);
          break;
        }
      }
      PVG_CHECK(a == DrawStatus::Ok && b == DrawStatus::Ok);
    }
    // Usually a present (a submit: the next frame records into the other buffer); sometimes none
    // (the next frame records on into this one, or a readback submits it).
    if (pick(5) != 0) store->present();
    switch (pick(6)) {
      case 0:  // waited: the frame as drawn so far
        checkPending();
        wrong += readAll(*store) != readAll(soft);
        ++*checked;
        break;
      case 1:
      case 2: {  // asynchronous, of a random region, while the next frames are drawn
        checkPending();
        const Rect region{pick(w / 2), pick(h / 2), 1 + pick(w / 2), 1 + pick(h / 2)};
        std::fill(got.begin(), got.end(), 0u);
        std::fill(want.begin(), want.end(), 0u);
        PVG_REQUIRE(soft.copyRegionTo(reinterpret_cast<uint8_t*>(want.data()) + (size_t{region.y} * w + region.x) * 4, want.size() * 4, w * 4, region));
        FrameStore* s = store.get();
        PVG_REQUIRE(store->beginReadback(std::span<const Rect>(&region, 1), [&, s, region](bool ok) {
          if (!ok) notOk.fetch_add(1);
          s->copyRegionTo(reinterpret_cast<uint8_t*>(got.data()) + (size_t{region.y} * w + region.x) * 4, got.size() * 4, w * 4, region);
        }));
        pending = true;
        break;
      }
      default:
        break;
    }
    if (pick(3) == 0) std::this_thread::sleep_for(std::chrono::microseconds(pick(400)));
  }
  checkPending();
  wrong += readAll(*store) != readAll(soft);
  ++*checked;
  PVG_CHECK(notOk.load() == 0);
  PVG_CHECK(store->fault() == StoreFault::None);
  return wrong;
}

PVG_TEST("vulkan: drawing command buffers in turn: every frame read back is that frame's pixels, under random timing") {
  auto gpu = device();
  if (!gpu) return;
  const uint32_t frames = kUnderTsan ? 80 : 400;
  for (unsigned buffers : {vk::kDrawBuffers, 1u, vk::kMaxDrawBuffers}) {
    uint32_t checked = 0;
    const uint32_t wrong = framesReadWrong(gpu, buffers, frames, 0xD7A3u + buffers, &checked);
    if (wrong != 0) std::fprintf(stderr, "%u drawing buffers: %u of %u frames read back wrong\n", buffers, wrong, checked);
    PVG_CHECK(checked > frames / 3);
    PVG_CHECK(wrong == 0);
  }
}

PVG_TEST("vulkan: drawing goes on while a buffer runs: a store destroyed, resized or released with both buffers submitted") {
  auto gpu = device();
  if (!gpu) return;
  std::vector<uint32_t> big(size_t{256} * 256);
  for (size_t i = 0; i < big.size(); ++i) big[i] = mix(static_cast<uint32_t>(i));
  for (uint32_t round = 0; round < (kUnderTsan ? 10u : 40u); ++round) {
    auto store = vk::makeFrameStore(gpu);
    PVG_REQUIRE(store->resize(256, 256));
    for (uint32_t k = 0; k < 2 + round % 3; ++k) {
      Rows rows(big, 256);
      PVG_REQUIRE(store->blit(Rect{0, 0, 256, 256}, BlendMode::SourceOver, rows, nullptr) == DrawStatus::Ok);
      store->present();
    }
    PVG_REQUIRE(store->fill(Rect{0, 0, 8, 8}, 0xFF00FF00u, nullptr) == DrawStatus::Ok);  // recorded, not submitted
    switch (round % 3) {
      case 0:
        PVG_CHECK(store->resize(512, 300));  // grows: every buffer back first
        PVG_CHECK(store->fill(Rect{0, 0, 512, 300}, 0xFF123456u, nullptr) == DrawStatus::Ok);
        {
          const std::vector<uint32_t> px = readAll(*store);
          PVG_CHECK(std::all_of(px.begin(), px.end(), [](uint32_t v) { return v == 0xFF123456u; }));
        }
        break;
      case 1:
        store->release();
        PVG_CHECK(store->empty());
        break;
      default:
        break;  // destroyed with two submits in flight and one recording
    }
    PVG_CHECK(store->fault() == StoreFault::None);
  }
}
}  // namespace
