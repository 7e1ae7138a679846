// new Engine(opts): a PVG engine (opts.backend 'soft', the default, or 'vulkan': docs/vulkan.md) for one device, owned by the device actor's worker. Its
// threads never call JavaScript: callbacks arrive as records in the device actor's mailbox and
// MMIO completions go straight to the vCPUs (see native/src/engine/bridge/mailbox_host.h).
#include <atomic>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "addon/args.h"
#include "addon/bindings.h"
#include "addon/guest_view.h"
#include "addon/shared_views.h"
#include "addon/string_sets.h"
#include "core/guest_memory.h"
#include "core/interrupt_table.h"
#include "core/vcpu_irq.h"
#include "abi/binding_strings.h"
#include "abi/irq_route_layout.h"
#include "abi/mmio_completion_layout.h"
#include "engine/bridge/mailbox_host.h"
#include "engine/soft/soft_engine.h"
#include "engine/threads/tracer.h"
#include "engine/vulkan/vulkan_backend.h"

namespace pvg::addon {
namespace {
constexpr const char* kFn = "Engine";
constexpr double kMaxSafe = 9007199254740991.0;

// A Vulkan refusal as a typed JavaScript error: code ERR_PVG_VULKAN, reason (refusalName), detail.
Napi::Error vulkanRefusal(Napi::Env env, const engine::vk::OpenResult& r) {
  Napi::Error e =
      Napi::Error::New(env, std::string("the vulkan engine backend cannot run here: ") + engine::vk::refusalName(*r.refusal) + " (" + r.detail + ")");
  e.Set("code", "ERR_PVG_VULKAN");
  e.Set("reason", jsString(env, strings::name(*r.refusal)));
  e.Set("detail", r.detail);
  return e;
}

Napi::Object describe(Napi::Env env, const engine::vk::DeviceInfo& d) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", d.name);
  out.Set("type", d.type);
  out.Set("driver", d.driver);
  out.Set("apiVersion", std::to_string(d.apiVersion >> 22) + "." + std::to_string((d.apiVersion >> 12) & 0x3FF) + "." + std::to_string(d.apiVersion & 0xFFF));
  out.Set("timestamps", d.timestamps);
  return out;
}

// vulkanProbe(): whether the vulkan backend can run here, opening (and closing) the device it
// would use: { available: true, device } or { available: false, reason, detail }.
Napi::Value vulkanProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const engine::vk::OpenResult r = engine::vk::openDevice(engine::vk::OpenOptions{});
  Napi::Object out = Napi::Object::New(env);
  out.Set("available", r.device != nullptr);
  if (r.device) {
    out.Set("device", describe(env, engine::vk::deviceInfo(*r.device)));
  } else {
    out.Set("reason", jsString(env, strings::name(*r.refusal)));
    out.Set("detail", r.detail);
  }
  return out;
}

// opts.interrupts: the VM's interrupt table, every vCPU's interrupt state and the device's
// interrupt route (abi/irq_route_layout.h), each checked as its TypeScript creator lays it out.
template <typename Keep>
engine::DirectInterruptsConfig directInterrupts(const Napi::Object& o, Keep&& keep) {
  Napi::Env env = o.Env();
  const std::string fn = std::string(kFn) + ": opts.interrupts";
  Napi::Value vcpusValue = o.Get("vcpus");
  if (!vcpusValue.IsArray()) throw Napi::TypeError::New(env, fn + ".vcpus must be an array of vCPU interrupt states");
  auto vcpuArray = vcpusValue.As<Napi::Array>();
  std::vector<VcpuIrqRef> vcpus;
  for (uint32_t k = 0; k < vcpuArray.Length(); ++k) {
    SharedInt32 words = keep(sharedInt32(vcpuArray.Get(k), fn + ".vcpus[i]"));
    auto ref = VcpuIrqRef::attach(words.view.words, words.view.length);
    if (!ref) throw Napi::RangeError::New(env, fn + ".vcpus[i] is not a vCPU interrupt state");
    vcpus.push_back(*ref);
  }
  SharedInt32 tableWords = keep(sharedInt32(o.Get("table"), fn + ".table"));
  auto table = InterruptTableRef::attach(tableWords.view.words, tableWords.view.length, std::move(vcpus));
  if (!table) throw Napi::RangeError::New(env, fn + ".table is not an interrupt table routing to opts.interrupts.vcpus");
  SharedInt32 route = keep(sharedInt32(o.Get("route"), fn + ".route"));
  if (route.view.length < irqroute::kWords || std::atomic_ref<int32_t>(route.view.words[irqroute::kMagicWord]).load() != irqroute::kMagic)
    throw Napi::RangeError::New(env, fn + ".route is not an interrupt route");
  engine::DirectInterruptsConfig config{.table = *table, .route = route.view.words, .msi = o.Get("msi").ToBoolean().Value()};
  config.gfxLine = static_cast<uint32_t>(integerOption(o, "gfxLine", 0, table->lines(), fn));
  config.iosfcLine = static_cast<uint32_t>(integerOption(o, "iosfcLine", 0, table->lines(), fn));
  return config;
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(
        env, "PvgEngine",
        {InstanceMethod<&EngineWrap::Stop>("stop"), InstanceMethod<&EngineWrap::Stats>("stats"), InstanceMethod<&EngineWrap::Activity>("activity"),
         InstanceMethod<&EngineWrap::Cursor>("cursorPosition"), InstanceMethod<&EngineWrap::Threads>("threadCount"),
         InstanceMethod<&EngineWrap::SaveState>("saveState"), InstanceMethod<&EngineWrap::LoadState>("loadState")});
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = options(info[0], std::string(kFn) + ": opts");
    auto keep = [this](const SharedInt32& s) {
      refs_.push_back(Napi::Persistent(s.array));
      return s;
    };

    // Guest memory: the one RAM SAB and its region table.
    GuestViewArg guest = guestViewOption(o, kFn);
    keep(guest.memory);
    guest_ = std::make_unique<GuestMemoryView>(guest.view);

    // The bridge to the device actor and the vCPUs.
    MailboxRef device = attachMailbox(keep(sharedInt32(o.Get("device"), std::string(kFn) + ": opts.device")), "Engine: opts.device");
    ReplyTableRef replies = attachReplies(keep(sharedInt32(o.Get("replies"), std::string(kFn) + ": opts.replies")), "Engine: opts.replies");
    const auto firstSlot = static_cast<uint32_t>(integerOption(o, "firstSlot", 0, replies.slotCount(), kFn));
    const auto slotCount = static_cast<uint32_t>(integerOption(o, "slotCount", 1, 64, kFn));
    if (firstSlot + slotCount > replies.slotCount()) throw Napi::RangeError::New(env, "Engine: reply slots out of range");
    ReplyTableRef vcpuReplies = attachReplies(keep(sharedInt32(o.Get("vcpuReplies"), std::string(kFn) + ": opts.vcpuReplies")), "Engine: opts.vcpuReplies");
    SharedInt32 completion = keep(sharedInt32(o.Get("writeCompletion"), std::string(kFn) + ": opts.writeCompletion"));
    const auto vcpus = static_cast<uint32_t>(integerOption(o, "vcpus", 1, 256, kFn));
    if (completion.view.length < size_t{vcpus} * mmio::kWordsPerVcpu)
      throw Napi::RangeError::New(env, "Engine: opts.writeCompletion is too short for opts.vcpus");
    const int64_t watchdogNs = timeoutNs(o.Get("callbackTimeoutMs"), std::string(kFn) + ": opts.callbackTimeoutMs");
    // Trace rings: one per engine thread (MMIO dispatcher, display queue, pool), when asked for.
    const auto poolThreads = static_cast<unsigned>(integerOption(o, "poolThreads", 2, 32, kFn));
    tracer_ = std::make_unique<engine::EngineTracer>();
    if (Napi::Value t = o.Get("trace"); t.IsObject()) {
      Napi::Object traceOpts = t.As<Napi::Object>();
      SharedInt32 set = keep(sharedInt32(traceOpts.Get("set"), "Engine: opts.trace.set"));
      const auto firstRing = static_cast<uint32_t>(integerOption(traceOpts, "firstRing", 0, 4095, kFn));
      auto probe = TraceRingWriter::attach(set.view.words, set.view.length, firstRing + poolThreads + 1);
      if (!probe) throw Napi::RangeError::New(env, "Engine: opts.trace needs poolThreads + 2 rings from firstRing in opts.trace.set");
      // One more, the gpu track (the vulkan backend's pvg-gpu thread), where the caller says it has one.
      const bool gpuRing = traceOpts.Get("gpu").ToBoolean().Value();
      if (gpuRing && !TraceRingWriter::attach(set.view.words, set.view.length, firstRing + poolThreads + 2))
        throw Napi::RangeError::New(env, "Engine: opts.trace.gpu needs poolThreads + 3 rings from firstRing in opts.trace.set");
      tracer_ = std::make_unique<engine::EngineTracer>(set.view.words, set.view.length, firstRing, poolThreads + (gpuRing ? 3 : 2));
    }
    engine::MailboxHostConfig host{.device = device,
                                   .replies = replies,
                                   .firstSlot = firstSlot,
                                   .slotCount = slotCount,
                                   .vcpuReplies = vcpuReplies,
                                   .writeCompletion = completion.view.words,
                                   .vcpus = vcpus,
                                   .callbackTimeoutNs = watchdogNs,
                                   .tracer = tracer_.get(),
                                   .compositor = std::nullopt,
                                   .interrupts = std::nullopt};
    // Display events straight to the compositor (the actor model): { mailbox, device }.
    if (Napi::Value c = o.Get("compositor"); c.IsObject()) {
      Napi::Object compositor = c.As<Napi::Object>();
      host.compositor = attachMailbox(keep(sharedInt32(compositor.Get("mailbox"), "Engine: opts.compositor.mailbox")), "Engine: opts.compositor.mailbox");
      host.deviceIndex = static_cast<uint32_t>(integerOption(compositor, "device", 0, 1023, kFn));
    }
    // The engine raises its own interrupts (the actor model): { table, vcpus, route, msi, gfxLine, iosfcLine }.
    if (Napi::Value i = o.Get("interrupts"); i.IsObject()) host.interrupts = directInterrupts(i.As<Napi::Object>(), keep);
    host_ = std::make_unique<engine::MailboxHost>(host);

    engine::SoftEngineConfig config;
    config.iosfc = o.Get("iosfc").ToBoolean().Value();
    config.poolThreads = poolThreads;
    config.mapSemantics = stringOption(o, "mapSemantics", strings::kMapSemanticsNames, strings::MapSemantics::Strict, kFn);
    if (o.Has("dispatcherSpin")) config.dispatcherSpin = static_cast<int>(integerOption(o, "dispatcherSpin", 0, 10'000'000, kFn));
    if (Napi::Value gate = o.Get("spinGate"); !gate.IsUndefined() && !gate.IsNull()) {
      SharedInt32 words = keep(sharedInt32(gate, std::string(kFn) + ": opts.spinGate"));
      if (words.view.length < SpinGate::kWords) throw Napi::RangeError::New(env, "Engine: opts.spinGate needs 2 words");
      config.spinGate = SpinGate(words.view.words);
    }
    if (slotCount < config.poolThreads + 2) throw Napi::RangeError::New(env, "Engine: opts.slotCount must be at least poolThreads + 2 (one per engine thread)");
    Napi::Value displaysValue = o.Get("displays");
    if (!displaysValue.IsArray() || displaysValue.As<Napi::Array>().Length() == 0) {
      throw Napi::TypeError::New(env, "Engine: opts.displays must be a non-empty array");
    }
    auto displays = displaysValue.As<Napi::Array>();
    for (uint32_t i = 0; i < displays.Length(); ++i) {
      Napi::Object d = options(displays.Get(i), "Engine: opts.displays[i]");
      engine::SoftEngineConfig::Display display;
      display.port = static_cast<uint32_t>(integerOption(d, "port", 0, 0xFFFFFFFF, kFn));
      display.serial = static_cast<uint32_t>(integerOption(d, "serial", 0, 0xFFFFFFFF, kFn));
      Napi::Value modes = d.Get("modes");
      if (!modes.IsArray() || modes.As<Napi::Array>().Length() == 0) throw Napi::TypeError::New(env, "Engine: display modes must be a non-empty array");
      for (uint32_t m = 0; m < modes.As<Napi::Array>().Length(); ++m) {
        Napi::Object mode = options(modes.As<Napi::Array>().Get(m), "Engine: mode");
        display.modes.push_back(engine::DisplayMode{static_cast<uint32_t>(integerOption(mode, "width", 1, 8192, kFn)),
                                                    static_cast<uint32_t>(integerOption(mode, "height", 1, 8192, kFn)),
                                                    static_cast<uint32_t>(integerOption(mode, "refresh", 1, 1000, kFn))});
      }
      display.paced = stringOption(d, "pacing", strings::kPacingNames, strings::Pacing::None, kFn) == strings::Pacing::Refresh;
      display.wholeFrameReadback = stringOption(d, "readback", strings::kReadbackNames, strings::Readback::Damage, kFn) == strings::Readback::WholeFrame;
      SharedInt32 surfaces = keep(sharedInt32(d.Get("surfaces"), "Engine: display surfaces"));
      display.surfaces = engine::SurfacePool{reinterpret_cast<uint8_t*>(surfaces.view.words), uint64_t{surfaces.view.length} * 4,
                                             static_cast<uint32_t>(integerOption(d, "surfaceCount", 1, 64, kFn))};
      config.displays.push_back(std::move(display));
    }
    config.maxContextBytes = static_cast<uint64_t>(integerOption(o, "maxContextBytes", 4096, kMaxSafe, kFn));
    if (stringOption(o, "backend", strings::kEngineBackendNames, strings::EngineBackend::Soft, kFn) == strings::EngineBackend::Vulkan) {
      engine::vk::OpenResult opened = engine::vk::openDevice(engine::vk::OpenOptions{});
      if (!opened.device) throw vulkanRefusal(env, opened);
      gpu_ = opened.device;
      config.frameStores = [gpu = gpu_](uint32_t display, engine::EngineTracer& tracer, engine::JobQueue* completions) {
        return engine::vk::makeFrameStore(gpu, display, &tracer, completions);
      };
    }
    MailboxRef inbound = attachMailbox(keep(sharedInt32(o.Get("inbound"), std::string(kFn) + ": opts.inbound")), "Engine: opts.inbound");
    engine_ = std::make_unique<engine::SoftEngine>(config, *guest_, inbound, *host_, *host_, tracer_.get());
  }

  ~EngineWrap() override { shutdown(); }

 private:
  void shutdown() {
    if (!engine_) return;
    host_->shutdown();  // release engine threads waiting on the device actor first
    engine_->stop();
    engine_.reset();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw Napi::Error::New(env, "engine stopped");
    const engine::EngineStats s = engine_->stats();
    Napi::Object out = Napi::Object::New(env);
    out.Set("mmioReads", static_cast<double>(s.mmioReads));
    out.Set("mmioWrites", static_cast<double>(s.mmioWrites));
    out.Set("commands", static_cast<double>(s.commands));
    out.Set("presents", static_cast<double>(s.presents));
    out.Set("encodes", static_cast<double>(s.encodes));
    out.Set("fences", static_cast<double>(s.fences));
    out.Set("badRegisterAccesses", static_cast<double>(s.badRegisterAccesses));
    out.Set("vblankWaits", static_cast<double>(s.vblankWaits));
    out.Set("vblankMissed", static_cast<double>(s.vblankMissed));
    out.Set("lastVblankUs", s.lastVblankUs);
    out.Set("hostUnavailable", static_cast<double>(host_->unavailable()));
    out.Set("backend", jsString(env, strings::name(gpu_ ? strings::EngineBackend::Vulkan : strings::EngineBackend::Soft)));
    if (gpu_) out.Set("gpu", describe(env, engine::vk::deviceInfo(*gpu_)));
    out.Set("deviceFaults", static_cast<double>(s.deviceFaults));
    out.Set("storeFault", jsString(env, strings::name(s.storeFault)));
    // Callback round trips (engine thread → device actor → engine thread) the host answered.
    const engine::LatencyHistogram& latency = host_->callbackLatency();
    out.Set("callbacks", static_cast<double>(latency.count()));
    out.Set("callbackP50Us", latency.percentileUs(50));
    out.Set("callbackP99Us", latency.percentileUs(99));
    Napi::Array errors = Napi::Array::New(env, s.errors.size());
    for (uint32_t i = 0; i < s.errors.size(); ++i) errors.Set(i, static_cast<double>(s.errors[i]));
    out.Set("errors", errors);
    return out;
  }

  Napi::Value Activity(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw Napi::Error::New(env, "engine stopped");
    const engine::EngineActivity a = engine_->activity();
    Napi::Object out = Napi::Object::New(env);
    out.Set("recordsHandled", static_cast<double>(a.recordsHandled));
    out.Set("executorBusy", a.executorBusy);
    out.Set("displayJobs", static_cast<double>(a.displayJobs));
    return out;
  }

  Napi::Value Cursor(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw Napi::Error::New(env, "engine stopped");
    const auto display = static_cast<uint32_t>(integerIn(info[0], 0, 0xFFFFFFFF, "cursorPosition: display"));
    Napi::Object out = Napi::Object::New(env);
    out.Set("x", engine_->cursorX(display));
    out.Set("y", engine_->cursorY(display));
    return out;
  }

  // saveState() → Uint8Array; loadState(Uint8Array) → null, or { part, reason } when refused (the
  // bytes are a file's: refusing them is an answer, not an exception). Only while the engine is idle.
  Napi::Value SaveState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw Napi::Error::New(env, "engine stopped");
    const std::vector<uint8_t> bytes = engine_->saveState();
    Napi::Uint8Array out = Napi::Uint8Array::New(env, bytes.size());
    if (!bytes.empty()) std::memcpy(out.Data(), bytes.data(), bytes.size());
    return out;
  }

  Napi::Value LoadState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw Napi::Error::New(env, "engine stopped");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, "loadState: expected a Uint8Array");
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    const engine::EngineStateError error = engine_->loadState(std::span<const uint8_t>(bytes.Data(), bytes.ByteLength()));
    if (error.ok()) return env.Null();
    Napi::Object out = Napi::Object::New(env);
    out.Set("part", error.part);
    out.Set("reason", error.reason);
    return out;
  }

  Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), engine_ ? engine_->threadCount() : 0); }

  std::vector<Napi::ObjectReference> refs_;  // keeps every SAB the engine's threads use alive
  std::unique_ptr<GuestMemoryView> guest_;
  std::unique_ptr<engine::EngineTracer> tracer_;
  std::unique_ptr<engine::MailboxHost> host_;
  std::shared_ptr<engine::vk::GpuDevice> gpu_;  // the vulkan backend's device (none: soft)
  std::unique_ptr<engine::SoftEngine> engine_;
};
}  // namespace

// `new native.Engine(opts)`; the exports object keeps the class alive.
void registerEngine(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineWrap::define(env));
  exports.Set("vulkanProbe", Napi::Function::New<vulkanProbe>(env, "vulkanProbe"));
}
}  // namespace pvg::addon
