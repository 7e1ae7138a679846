// copyPixelRect(src, dst, stride, x, y, width, height) -> boolean: the compositor's damage copy
// (core/pixel_rect.h) between two Uint32Arrays over shared memory, each a frame `stride` pixels
// wide from pixel (0, 0). false, copying nothing, for a rectangle outside its row or either
// array; a TypeError or RangeError for arguments that are not arrays or whole numbers.
#include "addon/args.h"
#include "addon/bindings.h"
#include "core/pixel_rect.h"

namespace pvg::addon {
namespace {
Napi::Uint32Array pixels(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw Napi::TypeError::New(value.Env(), std::string("copyPixelRect: ") + what + " must be a Uint32Array");
  return value.As<Napi::Uint32Array>();
}

Napi::Value CopyPixelRect(const Napi::CallbackInfo& info) {
  Napi::Uint32Array src = pixels(info[0], "src");
  Napi::Uint32Array dst = pixels(info[1], "dst");
  constexpr double kMax = 4294967295.0;
  const auto stride = static_cast<uint32_t>(integerIn(info[2], 1, kMax, "copyPixelRect: stride"));
  const PixelRect rect{.x = static_cast<uint32_t>(integerIn(info[3], 0, kMax, "copyPixelRect: x")),
                       .y = static_cast<uint32_t>(integerIn(info[4], 0, kMax, "copyPixelRect: y")),
                       .width = static_cast<uint32_t>(integerIn(info[5], 0, kMax, "copyPixelRect: width")),
                       .height = static_cast<uint32_t>(integerIn(info[6], 0, kMax, "copyPixelRect: height"))};
  return Napi::Boolean::New(info.Env(), copyPixelRect(src.Data(), src.ElementLength(), dst.Data(), dst.ElementLength(), stride, rect));
}
}  // namespace

void registerPixelRect(Napi::Env env, Napi::Object exports) { exports.Set("copyPixelRect", Napi::Function::New(env, CopyPixelRect, "copyPixelRect")); }
}  // namespace pvg::addon
