// checkEngineState(bytes, opts): a snapshot's engine section checked on the calling thread with
// no engine running — the same decodeEngineState SoftEngine::loadState runs first, against the
// limits an engine of opts would have (its displays' modes, the IOSurface window, the largest
// context, its guest memory). So Vm.restore refuses a bad engine section before any thread
// starts. It answers { part, reason } for a refusal, or what the state says of guest memory (the
// running ring's task, the contexts' tasks, each task's size and mappings) for the cross-check
// against the device's task space (docs/snapshots.md).
#include <span>
#include <string>
#include <vector>

#include "addon/args.h"
#include "addon/bindings.h"
#include "addon/guest_view.h"
#include "engine/soft/engine_state.h"

namespace pvg::addon {
namespace {
constexpr const char* kFn = "checkEngineState";
constexpr double kMaxSafe = 9007199254740991.0;

engine::EngineStateLimits limitsOption(const Napi::Object& o) {
  Napi::Env env = o.Env();
  engine::EngineStateLimits limits;
  limits.iosfc = o.Get("iosfc").ToBoolean().Value();
  limits.maxContextBytes = static_cast<uint64_t>(integerOption(o, "maxContextBytes", 4096, kMaxSafe, kFn));
  Napi::Value displays = o.Get("displays");
  if (!displays.IsArray() || displays.As<Napi::Array>().Length() == 0)
    throw Napi::TypeError::New(env, std::string(kFn) + ": opts.displays must be a non-empty array");
  for (uint32_t i = 0; i < displays.As<Napi::Array>().Length(); ++i) {
    Napi::Value modes = options(displays.As<Napi::Array>().Get(i), std::string(kFn) + ": opts.displays[i]").Get("modes");
    if (!modes.IsArray() || modes.As<Napi::Array>().Length() == 0)
      throw Napi::TypeError::New(env, std::string(kFn) + ": display modes must be a non-empty array");
    std::vector<engine::DisplayMode> list;
    for (uint32_t m = 0; m < modes.As<Napi::Array>().Length(); ++m) {
      Napi::Object mode = options(modes.As<Napi::Array>().Get(m), std::string(kFn) + ": mode");
      list.push_back(engine::DisplayMode{static_cast<uint32_t>(integerOption(mode, "width", 1, 8192, kFn)),
                                         static_cast<uint32_t>(integerOption(mode, "height", 1, 8192, kFn)),
                                         static_cast<uint32_t>(integerOption(mode, "refresh", 1, 1000, kFn))});
    }
    limits.modes.push_back(std::move(list));
  }
  return limits;
}

Napi::Object summary(Napi::Env env, const engine::EngineState& s) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Object ring = Napi::Object::New(env);
  ring.Set("running", s.ring.running);
  ring.Set("task", s.ring.task);
  out.Set("ring", ring);
  Napi::Array contexts = Napi::Array::New(env, s.contexts.size());
  for (size_t i = 0; i < s.contexts.size(); ++i) {
    Napi::Object c = Napi::Object::New(env);
    c.Set("number", s.contexts[i].number);
    c.Set("task", s.contexts[i].task);
    c.Set("size", static_cast<double>(s.contexts[i].size));
    contexts.Set(static_cast<uint32_t>(i), c);
  }
  out.Set("contexts", contexts);
  Napi::Array tasks = Napi::Array::New(env, s.tasks.size());
  for (size_t i = 0; i < s.tasks.size(); ++i) {
    const engine::EngineState::Task& t = s.tasks[i];
    Napi::Object task = Napi::Object::New(env);
    task.Set("id", t.id);
    task.Set("size", static_cast<double>(t.vmSize));
    Napi::Array mappings = Napi::Array::New(env, t.mappings.size());
    for (size_t k = 0; k < t.mappings.size(); ++k) {
      Napi::Object m = Napi::Object::New(env);
      m.Set("va", static_cast<double>(t.mappings[k].va));
      m.Set("gpa", static_cast<double>(t.mappings[k].gpa));
      m.Set("length", static_cast<double>(t.mappings[k].length));
      m.Set("readOnly", t.mappings[k].readOnly);
      mappings.Set(static_cast<uint32_t>(k), m);
    }
    task.Set("mappings", mappings);
    tasks.Set(static_cast<uint32_t>(i), task);
  }
  out.Set("tasks", tasks);
  return out;
}

Napi::Value CheckEngineState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, std::string(kFn) + ": expected a Uint8Array");
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  Napi::Object o = options(info[1], std::string(kFn) + ": opts");
  GuestViewArg guest = guestViewOption(o, kFn);
  engine::EngineStateLimits limits = limitsOption(o);
  limits.guest = &guest.view;
  engine::EngineStateError error;
  const std::optional<engine::EngineState> state = engine::decodeEngineState(std::span<const uint8_t>(bytes.Data(), bytes.ByteLength()), limits, &error);
  if (state) return summary(env, *state);
  Napi::Object out = Napi::Object::New(env);
  out.Set("part", error.part);
  out.Set("reason", error.reason);
  return out;
}
}  // namespace

void registerEngineState(Napi::Env env, Napi::Object exports) { exports.Set("checkEngineState", Napi::Function::New<CheckEngineState>(env, kFn)); }
}  // namespace pvg::addon
