// What the vulkan store's native tests share: the device (or the reason there is none), a whole
// frame read back, rows from a vector of words, and a hash for test colours.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/render/frame_store.h"
#include "engine/vulkan/vulkan_backend.h"
#include "harness.h"

namespace pvg::test::vulkan {
using engine::FrameStore;
using engine::Rect;

// The device, or null (having failed the test) when it cannot be opened, unless PVG_NO_VULKAN=1
// says that is expected here.
inline std::shared_ptr<engine::vk::GpuDevice> device(const engine::vk::Interpose& interpose = {}) {
  const engine::vk::OpenResult r = engine::vk::openDevice(engine::vk::OpenOptions{}, interpose);
  if (!r.device) {
    const char* allowed = std::getenv("PVG_NO_VULKAN");
    std::fprintf(stderr, "vulkan backend unavailable: %s (%s)%s\n", engine::vk::refusalName(*r.refusal), r.detail.c_str(),
                 allowed && std::string(allowed) == "1" ? "; PVG_NO_VULKAN=1: not a failure" : "");
    if (!(allowed && std::string(allowed) == "1")) PVG_CHECK(r.device != nullptr);
  }
  return r.device;
}

// The whole frame through the waited readback.
inline std::vector<uint32_t> readAll(FrameStore& s) {
  std::vector<uint32_t> out(size_t{s.width()} * s.height());
  const Rect all{0, 0, s.width(), s.height()};
  PVG_REQUIRE(s.prepareReadback(std::span<const Rect>(&all, 1)));
  PVG_REQUIRE(s.copyRegionTo(reinterpret_cast<uint8_t*>(out.data()), out.size() * 4, s.width() * 4, all));
  return out;
}

// Rows from a vector of words; nullptr from row `failAt` on (a source that faults part way).
class Rows final : public engine::RowSource {
 public:
  Rows(const std::vector<uint32_t>& words, uint32_t w, uint32_t failAt = ~0u) : words_(words), w_(w), failAt_(failAt) {}
  const uint8_t* row(uint32_t y) override {
    if (y >= failAt_ || size_t{y + 1} * w_ > words_.size()) return nullptr;
    return reinterpret_cast<const uint8_t*>(words_.data() + size_t{y} * w_);
  }

 private:
  const std::vector<uint32_t>& words_;
  uint32_t w_, failAt_;
};

inline uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  return x ^ (x >> 16);
}
}  // namespace pvg::test::vulkan
