// The KVM references `bench kvm` measures next to the real vCPU path (native/testing/kvm/exit_bench.h):
//   kvmRawExitBench(iterations, { warmup }?) -> Float64Array of µs: the bare KVM exit round trip
//     (the tiny guest reads a do-nothing MMIO address in a loop; C++ answers each read at once);
//   kvmInjectBench(iterations, { warmup, minGapUs, maxGapUs, seed }?) -> Float64Array of µs, with
//     `parked` and `kicked` counts on it: interrupt delivery (the vcpu-irq.ts protocol) → the
//     guest handler's exit reaching the host, the vCPU halted between deliveries.
// Both block the calling thread while they run (their vCPU runs on a thread of its own, joined
// before they return). KVM problems throw an Error with the reason.
#include <stdexcept>
#include <string>
#include <vector>

#include "addon/args.h"
#include "testing/addon/bindings.h"

#if defined(__linux__)
#include "testing/kvm/exit_bench.h"
#include "kvm/kvm_system.h"
#endif

namespace pvg::addon {
namespace {
constexpr double kMaxRawIterations = 10'000'000;
constexpr double kMaxInjectIterations = 1'000'000;

Napi::Float64Array toArray(Napi::Env env, const std::vector<double>& samples) {
  auto out = Napi::Float64Array::New(env, samples.size());
  for (size_t i = 0; i < samples.size(); ++i) out[i] = samples[i];
  return out;
}

/** opts[key] if present (an integer in [min, max]), else `fallback`. */
uint32_t optionalInteger(const Napi::Value& opts, const char* key, double min, double max, uint32_t fallback, const std::string& fn) {
  if (opts.IsUndefined()) return fallback;
  Napi::Object o = options(opts, fn + ": opts");
  if (o.Get(key).IsUndefined()) return fallback;
  return static_cast<uint32_t>(integerOption(o, key, min, max, fn));
}

#if defined(__linux__)
template <class F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const kvm::KvmError& e) {
    throw Napi::Error::New(env, e.what());
  } catch (const std::out_of_range& e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

Napi::Value RawExitBench(const Napi::CallbackInfo& info) {
  const std::string fn = "kvmRawExitBench";
  Napi::Env env = info.Env();
  kvm::RawExitBenchOptions o;
  auto iterations = static_cast<uint32_t>(integerIn(info[0], 1, kMaxRawIterations, fn + ": iterations"));
  o.warmup = optionalInteger(info[1], "warmup", 0, kMaxRawIterations, o.warmup, fn);
  return toArray(env, guarded(env, [&] { return kvm::rawExitBench(iterations, o); }));
}

Napi::Value InjectBench(const Napi::CallbackInfo& info) {
  const std::string fn = "kvmInjectBench";
  Napi::Env env = info.Env();
  kvm::InjectBenchOptions o;
  auto iterations = static_cast<uint32_t>(integerIn(info[0], 1, kMaxInjectIterations, fn + ": iterations"));
  o.warmup = optionalInteger(info[1], "warmup", 0, kMaxInjectIterations, o.warmup, fn);
  o.minGapUs = optionalInteger(info[1], "minGapUs", 0, 1'000'000, o.minGapUs, fn);
  o.maxGapUs = optionalInteger(info[1], "maxGapUs", 0, 1'000'000, o.maxGapUs, fn);
  o.seed = optionalInteger(info[1], "seed", 0, 4294967295.0, static_cast<uint32_t>(o.seed), fn);
  if (o.minGapUs > o.maxGapUs) throw Napi::RangeError::New(env, fn + ": opts.minGapUs must not exceed opts.maxGapUs");
  kvm::InjectBenchResult r = guarded(env, [&] { return kvm::injectBench(iterations, o); });
  Napi::Float64Array out = toArray(env, r.latenciesUs);
  out.Set("parked", Napi::Number::New(env, r.parked));
  out.Set("kicked", Napi::Number::New(env, r.kicked));
  return out;
}
#else
Napi::Value Unsupported(const Napi::CallbackInfo& info) { throw Napi::Error::New(info.Env(), "KVM benchmarks need Linux"); }
#define RawExitBench Unsupported
#define InjectBench Unsupported
#endif
}  // namespace

void registerKvmBench(Napi::Env env, Napi::Object exports) {
  exports.Set("kvmRawExitBench", Napi::Function::New(env, RawExitBench, "kvmRawExitBench"));
  exports.Set("kvmInjectBench", Napi::Function::New(env, InjectBench, "kvmInjectBench"));
}
}  // namespace pvg::addon
