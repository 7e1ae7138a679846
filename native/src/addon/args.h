// Validation of JS-supplied arguments for the bindings: every check throws a TypeError (wrong
// type) or RangeError (wrong value) naming the function and the argument.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "addon/sab_view.h"

namespace pvg::addon {
// An Int32Array over a SharedArrayBuffer: its words, and the array to keep alive.
struct SharedInt32 {
  WordView view;
  Napi::Object array;
};

inline SharedInt32 sharedInt32(const Napi::Value& value, const std::string& what) {
  WordView view = wordView(value, what.c_str());
  auto array = value.As<Napi::TypedArray>();
  // Native threads keep using the memory: a plain ArrayBuffer could be transferred or
  // detached under them, a SharedArrayBuffer cannot. (A typed array's buffer is one of the two.)
  if (array.ArrayBuffer().IsArrayBuffer()) {
    throw Napi::TypeError::New(value.Env(), what + " must be an Int32Array over a SharedArrayBuffer, not an ArrayBuffer");
  }
  return {view, array};
}

inline Napi::Object options(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), what + " must be an object");
  return value.As<Napi::Object>();
}

// An integer-valued number in [min, max].
inline double integerIn(const Napi::Value& value, double min, double max, const std::string& what) {
  Napi::Env env = value.Env();
  if (!value.IsNumber()) throw Napi::TypeError::New(env, what + " must be a number");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < min || d > max) {
    throw Napi::RangeError::New(
        env, what + " must be an integer in [" + std::to_string(static_cast<int64_t>(min)) + ", " + std::to_string(static_cast<int64_t>(max)) + "]");
  }
  return d;
}

inline double integerOption(const Napi::Object& opts, const char* key, double min, double max, const std::string& fn) {
  return integerIn(opts.Get(key), min, max, fn + ": opts." + key);
}

// A 32-bit word given as a JS number: u32 or i32 bit pattern (Atomics hands back i32).
inline uint32_t word32(const Napi::Value& value, const std::string& what) {
  return static_cast<uint32_t>(static_cast<int64_t>(integerIn(value, -2147483648.0, 4294967295.0, what)));
}

// Milliseconds (fractions allowed) to nanoseconds; undefined or negative means no limit.
inline int64_t timeoutNs(const Napi::Value& value, const std::string& what) {
  if (value.IsUndefined()) return -1;
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), what + " must be a number of milliseconds");
  double ms = value.As<Napi::Number>().DoubleValue();
  if (std::isnan(ms)) throw Napi::RangeError::New(value.Env(), what + " must not be NaN");
  if (ms < 0 || ms > 9.0e12) return -1;  // ~285 years: treat as unlimited rather than overflow
  return static_cast<int64_t>(ms * 1e6);
}
}  // namespace pvg::addon
