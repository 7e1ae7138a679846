// Raw access to a SharedArrayBuffer through an Int32Array over it. On Node 20 the array-buffer
// info call rejects SABs; the typed-array one works (docs/design.md,
// "Native access to shared memory").
#pragma once
#include <napi.h>

#include <cstdint>

namespace pvg::addon {
struct WordView {
  int32_t* words = nullptr;
  size_t length = 0;  // in words
};

inline WordView wordView(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, std::string(what) + " must be an Int32Array over a SharedArrayBuffer");
  }
  auto array = value.As<Napi::Int32Array>();
  return WordView{array.Data(), array.ElementLength()};
}

inline uint32_t wordIndex(const Napi::Value& value, const WordView& view, const char* what) {
  Napi::Env env = value.Env();
  if (!value.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != static_cast<double>(static_cast<uint32_t>(d)) || static_cast<size_t>(d) >= view.length) {
    throw Napi::RangeError::New(env, std::string(what) + " is outside the array");
  }
  return static_cast<uint32_t>(d);
}
}  // namespace pvg::addon
