// The schema's string sets (abi/binding_strings.h, from abi/schema/binding-strings.ts) to and
// from JavaScript strings, so no binding spells a result or an option value itself.
#pragma once
#include <napi.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace pvg::addon {
inline Napi::String jsString(Napi::Env env, std::string_view text) { return Napi::String::New(env, text.data(), text.size()); }

// An optional string option of a string set: `fallback` when absent, else the member whose
// spelling it is (`names` are the set's spellings by member); a RangeError names them all.
template <typename Enum, std::size_t N>
Enum stringOption(const Napi::Object& o, const char* key, const std::array<std::string_view, N>& names, Enum fallback, const std::string& fn) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const std::string text = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<Enum>(i);
  std::string allowed;
  for (std::size_t i = 0; i < N; ++i) allowed += std::string(i == 0 ? "'" : i + 1 == N ? " or '" : ", '") + std::string(names[i]) + "'";
  throw Napi::RangeError::New(o.Env(), fn + ": " + key + " must be " + allowed);
}
}  // namespace pvg::addon
