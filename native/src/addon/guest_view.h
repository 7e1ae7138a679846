// Guest memory as the bindings receive it: opts.memory (an Int32Array over the guest RAM
// SharedArrayBuffer) and opts.regions (its region table), checked into a GuestMemoryView.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "addon/args.h"
#include "core/guest_memory.h"

namespace pvg::addon {
// The view, and the array whose memory it reads (to keep alive as long as the view is used).
struct GuestViewArg {
  GuestMemoryView view;
  SharedInt32 memory;
};

inline GuestViewArg guestViewOption(const Napi::Object& o, const std::string& fn) {
  Napi::Env env = o.Env();
  constexpr double kMaxSafe = 9007199254740991.0;
  SharedInt32 memory = sharedInt32(o.Get("memory"), fn + ": opts.memory");
  Napi::Value regionsValue = o.Get("regions");
  if (!regionsValue.IsArray()) throw Napi::TypeError::New(env, fn + ": opts.regions must be an array");
  auto regionArray = regionsValue.As<Napi::Array>();
  std::vector<GuestRegion> regions;
  for (uint32_t i = 0; i < regionArray.Length(); ++i) {
    Napi::Object r = options(regionArray.Get(i), fn + ": opts.regions[i]");
    regions.push_back(GuestRegion{static_cast<uint64_t>(integerOption(r, "base", 0, kMaxSafe, fn)),
                                  static_cast<uint64_t>(integerOption(r, "size", 1, kMaxSafe, fn)),
                                  static_cast<uint64_t>(integerOption(r, "offset", 0, kMaxSafe, fn)), r.Get("readOnly").ToBoolean().Value()});
  }
  GuestLayoutCheck why;
  auto view = GuestMemoryView::create(reinterpret_cast<uint8_t*>(memory.view.words), uint64_t{memory.view.length} * 4, regions, &why);
  if (!view) throw Napi::RangeError::New(env, fn + ": opts.regions do not fit opts.memory (region " + std::to_string(why.region) + ")");
  return {*view, memory};
}
}  // namespace pvg::addon
