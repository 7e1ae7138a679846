// benchRender(kind, width, height, iterations) -> { ns, bytes }: times the soft engine's CPU
// renderer on a Frame, on the calling thread, for the engine benchmark (bench/suites/engine.ts).
//   'fill'   fillRect of the whole frame (opaque colour, changing each iteration)
//   'blit'   blit, BlendMode::Copy, of a width × height source image (ContiguousRows) onto the frame
//   'blend'  the same blit with BlendMode::SourceOver (source alpha varies per pixel, the frame
//            is opaque: the display's usual case)
//   'memcpy' a plain memcpy of the same source image into the frame's pixels: the reference the
//            blit is compared with (it reads and writes exactly what a copy blit does)
// `bytes` is the destination bytes produced: width × height × 4 × iterations for every kind, so
// bytes / ns is comparable across kinds. One untimed iteration first faults every page in.
#include <cstring>
#include <string>
#include <vector>

#include "addon/args.h"
#include "testing/addon/bindings.h"
#include "core/clock.h"
#include "engine/render/draw.h"
#include "engine/render/frame.h"

namespace pvg::addon {
namespace {
constexpr const char* kFn = "benchRender";
constexpr double kMaxIterations = 1'000'000;
constexpr double kMaxPixels = 68719476736.0;  // 2^36 pixels in one call: tens of seconds at most

volatile uint32_t g_sink;  // keeps the measured work observable

enum class Kind { Fill, Blit, Blend, Memcpy };

Napi::Value BenchRender(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, std::string(kFn) + ": kind must be 'fill', 'blit', 'blend' or 'memcpy'");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  Kind kind;
  if (name == "fill")
    kind = Kind::Fill;
  else if (name == "blit")
    kind = Kind::Blit;
  else if (name == "blend")
    kind = Kind::Blend;
  else if (name == "memcpy")
    kind = Kind::Memcpy;
  else
    throw Napi::RangeError::New(env, std::string(kFn) + ": kind must be 'fill', 'blit', 'blend' or 'memcpy', got '" + name + "'");
  const double maxDim = engine::Frame::kMaxDimension;
  const auto width = static_cast<uint32_t>(integerIn(info[1], 1, maxDim, std::string(kFn) + ": width"));
  const auto height = static_cast<uint32_t>(integerIn(info[2], 1, maxDim, std::string(kFn) + ": height"));
  const auto iterations = static_cast<uint32_t>(integerIn(info[3], 1, kMaxIterations, std::string(kFn) + ": iterations"));
  if (static_cast<double>(width) * height * iterations > kMaxPixels) {
    throw Napi::RangeError::New(env, std::string(kFn) + ": width × height × iterations must be at most 2^36 pixels");
  }

  engine::Frame frame;
  if (!frame.resize(width, height)) throw Napi::Error::New(env, std::string(kFn) + ": cannot allocate the frame");
  frame.clear(0xFF000000u);
  const size_t pixels = size_t{width} * height;
  const size_t bytes = pixels * 4;
  std::vector<uint32_t> source;
  if (kind != Kind::Fill) {
    source.resize(pixels);
    for (uint32_t y = 0; y < height; ++y) {
      for (uint32_t x = 0; x < width; ++x) {
        const uint32_t alpha = (x * 37u + y * 11u) & 0xFF;  // every alpha, transparent and opaque included
        source[size_t{y} * width + x] = (alpha << 24) | ((x * 7u) & 0xFF) << 16 | ((y * 5u) & 0xFF) << 8 | ((x + y) & 0xFF);
      }
    }
  }
  const engine::Rect all{0, 0, width, height};
  const auto* src = reinterpret_cast<const uint8_t*>(source.data());
  bool ok = true;
  auto once = [&](uint32_t i) {
    switch (kind) {
      case Kind::Fill:
        ok = ok && engine::fillRect(frame, all, 0xFF000000u | (i * 0x010203u)) == engine::DrawStatus::Ok;
        break;
      case Kind::Blit:
      case Kind::Blend: {
        engine::ContiguousRows rows(src, bytes, width * 4, width);
        const auto mode = kind == Kind::Blit ? engine::BlendMode::Copy : engine::BlendMode::SourceOver;
        ok = ok && engine::blit(frame, all, mode, rows) == engine::DrawStatus::Ok;
        break;
      }
      case Kind::Memcpy:
        std::memcpy(frame.data(), src, bytes);
        break;
    }
  };
  once(0);  // warm-up: page faults, caches
  const int64_t t0 = monotonicNanos();
  for (uint32_t i = 1; i <= iterations; ++i) once(i);
  const int64_t ns = monotonicNanos() - t0;
  g_sink = frame.data()[pixels / 2] ^ frame.data()[pixels - 1];
  if (!ok) throw Napi::Error::New(env, std::string(kFn) + ": the renderer refused the benchmark's own arguments");

  Napi::Object out = Napi::Object::New(env);
  out.Set("ns", static_cast<double>(ns));
  out.Set("bytes", static_cast<double>(bytes) * iterations);
  return out;
}
}  // namespace

void registerRenderBench(Napi::Env env, Napi::Object exports) { exports.Set("benchRender", Napi::Function::New(env, BenchRender, "benchRender")); }
}  // namespace pvg::addon
