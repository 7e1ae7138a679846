// Golden scenes (engine/render/golden_scene.h): each scene rendered at 320x200 must hash to its
// constant. A mismatch prints the new checksum: after an intended change, look at the scene
// (export it as PNG) before updating the constant.
#include <cinttypes>
#include <cstdio>
#include <string_view>

#include "engine/render/golden_scene.h"
#include "harness.h"

namespace {
using namespace pvg::engine;

// FNV-1a 64 of the BGRA bytes of scene 0 .. kGoldenSceneCount - 1.
constexpr uint64_t kGolden[kGoldenSceneCount] = {
    0x9ddd98ed79391f77ull,  // fills
    0x1c246d60536ec175ull,  // copies
    0xd3d26a3d9a303899ull,  // blit copy
    0xe08c41a922a92b80ull,  // blit alpha
    0xbd06822e44b0d8e4ull,  // cursors
    0x8dfbcc5f3477c32eull,  // all
};

uint64_t fnvOf(std::string_view s) { return fnv1a64({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); }
}  // namespace

PVG_TEST("render golden: FNV-1a 64 known values") {
  PVG_CHECK(fnvOf("") == 0xcbf29ce484222325ull);
  PVG_CHECK(fnvOf("a") == 0xaf63dc4c8601ec8cull);
  PVG_CHECK(fnvOf("foobar") == 0x85944171f73967e8ull);
}

PVG_TEST("render golden: every scene matches its checksum") {
  for (int i = 0; i < kGoldenSceneCount; ++i) {
    Frame f;
    PVG_CHECK(renderGoldenScene(f, i));
    PVG_CHECK(f.width() == kGoldenWidth && f.height() == kGoldenHeight);
    const uint64_t sum = frameChecksum(f);
    if (sum != kGolden[i]) {
      std::fprintf(stderr, "    golden scene %d: checksum 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n", i, sum, kGolden[i]);
      PVG_CHECK(sum == kGolden[i]);
    }
  }
}

PVG_TEST("render golden: scenes are deterministic and independent of the frame's history") {
  Frame fresh, reused;
  PVG_REQUIRE(reused.resize(640, 480));
  reused.clear(0x12345678);
  for (int i = kGoldenSceneCount - 1; i >= 0; --i) {
    PVG_REQUIRE(renderGoldenScene(fresh, i));
    PVG_REQUIRE(renderGoldenScene(reused, i));  // smaller than its capacity, stale pixels
    PVG_CHECK(frameChecksum(fresh) == frameChecksum(reused));
  }
}

PVG_TEST("render golden: unknown scene numbers are refused") {
  Frame f;
  PVG_CHECK(!renderGoldenScene(f, -1));
  PVG_CHECK(!renderGoldenScene(f, kGoldenSceneCount));
  PVG_CHECK(f.width() == kGoldenWidth);  // resized and cleared to black
  for (uint32_t v : f.pixels()) {
    if (v != 0xFF000000) {
      PVG_CHECK(v == 0xFF000000);
      break;
    }
  }
}
