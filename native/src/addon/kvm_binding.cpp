// KVM for JavaScript (Linux): probe, a VM over the guest-RAM SharedArrayBuffer, and vCPUs that
// a vCPU actor creates and runs on its own thread. A VM is made on one thread (the VM's main
// thread) and its vCPUs on others, so VMs live in a process-wide table under a number; a vCPU
// is an ordinary handle on the thread that made it. Exit details go into a Float64Array the
// caller passes once, so a run allocates nothing (actors/vcpu/kvm/exits.ts reads it).
#include <linux/kvm.h>

#include <map>
#include <memory>
#include <mutex>

#include "addon/bindings.h"
#include "addon/handle.h"
#include "addon/kvm_state_object.h"
#include "addon/sab_view.h"
#include "kvm/kvm_vcpu.h"
#include "kvm/kvm_vm.h"
#include "kvm/vcpu_kick.h"

namespace pvg::addon {
namespace {
using kvm::kExitInfoLength;
using kvm::KvmError;

std::mutex vmTableMutex;
std::map<uint32_t, std::shared_ptr<kvm::KvmVm>> vmTable;
uint32_t nextVmId = 1;

constexpr napi_type_tag kVcpuTag = {0x7d3c'91a2'0b6e'4f15ULL, 0x9a41'c7d0'52e8'3b66ULL};

struct VcpuHandle {
  std::unique_ptr<kvm::KvmVcpu> vcpu;
  Napi::Reference<Napi::Int32Array> irq;  // keeps the interrupt-state words alive
  Napi::Reference<Napi::Float64Array> info;
  double* exitInfo = nullptr;
};

double number(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

uint64_t u64(const Napi::Object& o, const char* key) {
  double d = number(o.Get(key), key);
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d))) {
    throw Napi::RangeError::New(o.Env(), std::string(key) + " must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(d);
}

template <class F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const KvmError& e) {
    throw Napi::Error::New(env, e.what());
  }
}

VcpuHandle& vcpuOf(const Napi::Value& v) {
  auto& h = unwrapHandle<VcpuHandle>(v, kVcpuTag, "expected a vCPU handle from kvmCreateVcpu");
  if (!h.vcpu) throw Napi::Error::New(v.Env(), "this vCPU is closed");
  return h;
}

// kvmProbe(path?) -> { ok, reason }
Napi::Value Probe(const Napi::CallbackInfo& info) {
  std::string path = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "/dev/kvm";
  kvm::Availability a = kvm::probe(path.c_str());
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("ok", a.ok);
  r.Set("reason", a.reason);
  return r;
}

// pageOffsetOf(Uint8Array) -> the host address of its first byte modulo 4096
Napi::Value PageOffsetOf(const Napi::CallbackInfo& info) {
  // Node 20 refuses the array-buffer info call on a SAB; the typed array's own data works.
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), "pageOffsetOf: expected a Uint8Array");
  }
  uint8_t* base = info[0].As<Napi::Uint8Array>().Data();
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(base) % 4096));
}

// kvmCreateVm(bytes: Uint8Array over guest RAM's SAB, regions: {gpa, offset, size, readOnly}[], path?) -> id
Napi::Value CreateVm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "kvmCreateVm: guest memory must be a Uint8Array over its SharedArrayBuffer");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, "kvmCreateVm: regions must be an array");
  std::string path = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "/dev/kvm";
  auto regions = info[1].As<Napi::Array>();
  return guarded(env, [&] {
    auto vm = std::make_shared<kvm::KvmVm>(path.c_str());
    for (uint32_t i = 0; i < regions.Length(); ++i) {
      Napi::Value item = regions.Get(i);
      if (!item.IsObject()) throw Napi::TypeError::New(env, "kvmCreateVm: each region must be an object");
      auto r = item.As<Napi::Object>();
      uint64_t offset = u64(r, "offset"), size = u64(r, "size");
      if (offset > bytes.ByteLength() || size > bytes.ByteLength() - offset) throw Napi::RangeError::New(env, "kvmCreateVm: a region lies outside the memory");
      vm->addMemory(u64(r, "gpa"), size, bytes.Data() + offset, r.Get("readOnly").ToBoolean());
    }
    std::lock_guard lock(vmTableMutex);
    uint32_t id = nextVmId++;
    vmTable.emplace(id, std::move(vm));
    return Napi::Number::New(env, id);
  });
}

// kvmDestroyVm(id): drops every memory slot now (the guest RAM may be freed after this) and
// forgets the VM; its file closes when the last vCPU handle goes.
Napi::Value DestroyVm(const Napi::CallbackInfo& info) {
  auto id = static_cast<uint32_t>(number(info[0], "kvmDestroyVm: id"));
  std::shared_ptr<kvm::KvmVm> vm;
  {
    std::lock_guard lock(vmTableMutex);
    auto it = vmTable.find(id);
    if (it == vmTable.end()) return Napi::Boolean::New(info.Env(), false);
    vm = std::move(it->second);
    vmTable.erase(it);
  }
  vm->removeAllMemory();
  return Napi::Boolean::New(info.Env(), true);
}

// kvmCreateVcpu(vmId, index, irqWords: Int32Array, exitInfo: Float64Array(8), slicePeriodMs) -> handle
Napi::Value CreateVcpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto id = static_cast<uint32_t>(number(info[0], "kvmCreateVcpu: vm"));
  auto index = static_cast<uint32_t>(number(info[1], "kvmCreateVcpu: index"));
  WordView irq = wordView(info[2], "kvmCreateVcpu: interrupt state");
  if (irq.length < 16) throw Napi::RangeError::New(env, "kvmCreateVcpu: the interrupt state has 16 words");
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[3].As<Napi::Float64Array>().ElementLength() < kExitInfoLength) {
    throw Napi::TypeError::New(env, "kvmCreateVcpu: exit info must be a Float64Array of 8");
  }
  double slice = number(info[4], "kvmCreateVcpu: slicePeriodMs");
  std::shared_ptr<kvm::KvmVm> vm;
  {
    std::lock_guard lock(vmTableMutex);
    auto it = vmTable.find(id);
    if (it == vmTable.end()) throw Napi::Error::New(env, "kvmCreateVcpu: no KVM VM " + std::to_string(id) + " (destroyed?)");
    vm = it->second;
  }
  auto handle = std::make_unique<VcpuHandle>();
  guarded(env, [&] {
    handle->vcpu = std::make_unique<kvm::KvmVcpu>(std::move(vm), index, irq.words, slice);
    return 0;
  });
  handle->irq = Napi::Persistent(info[2].As<Napi::Int32Array>());
  handle->info = Napi::Persistent(info[3].As<Napi::Float64Array>());
  handle->exitInfo = info[3].As<Napi::Float64Array>().Data();
  return wrapHandle(env, std::move(handle), kVcpuTag);
}

// kvmEnterLongMode(vcpu, { rip, rsp, rdi, gsBase, cr3, gdtBase, gdtLimit, tssBase? })
Napi::Value EnterLongMode(const Napi::CallbackInfo& info) {
  VcpuHandle& h = vcpuOf(info[0]);
  if (!info[1].IsObject()) throw Napi::TypeError::New(info.Env(), "kvmEnterLongMode: expected an entry object");
  auto o = info[1].As<Napi::Object>();
  kvm::LongModeEntry e;
  e.rip = u64(o, "rip");
  e.rsp = u64(o, "rsp");
  e.rdi = u64(o, "rdi");
  e.gsBase = u64(o, "gsBase");
  e.cr3 = u64(o, "cr3");
  e.gdtBase = u64(o, "gdtBase");
  e.gdtLimit = static_cast<uint16_t>(u64(o, "gdtLimit"));
  if (o.Has("tssBase")) e.tssBase = u64(o, "tssBase");
  guarded(info.Env(), [&] {
    h.vcpu->enterLongMode(e);
    return 0;
  });
  return info.Env().Undefined();
}

// kvmRun(vcpu) -> exit kind; the details are in the exit info array (its slots: abi/schema/kvm-exits.ts).
Napi::Value Run(const Napi::CallbackInfo& info) {
  VcpuHandle& h = vcpuOf(info[0]);
  kvm::VcpuExit e = guarded(info.Env(), [&] { return h.vcpu->run(); });
  double* out = h.exitInfo;
  out[kvm::ExitInfoKind] = static_cast<double>(e.kind);
  out[kvm::ExitInfoAddress] = static_cast<double>(e.address);
  out[kvm::ExitInfoSize] = e.size;
  out[kvm::ExitInfoValueLo] = static_cast<double>(e.value & 0xffff'ffffu);
  out[kvm::ExitInfoValueHi] = static_cast<double>(e.value >> 32);
  out[kvm::ExitInfoCount] = e.count;
  out[kvm::ExitInfoDetail] = static_cast<double>(e.detail);
  out[kvm::ExitInfoInjections] = static_cast<double>(h.vcpu->injections());
  return Napi::Number::New(info.Env(), out[kvm::ExitInfoKind]);
}

// kvmCompleteRead(vcpu, lo, hi)
Napi::Value CompleteRead(const Napi::CallbackInfo& info) {
  VcpuHandle& h = vcpuOf(info[0]);
  auto lo = static_cast<uint64_t>(static_cast<uint32_t>(number(info[1], "lo")));
  auto hi = static_cast<uint64_t>(static_cast<uint32_t>(number(info[2], "hi")));
  h.vcpu->completeRead(lo | (hi << 32));
  return info.Env().Undefined();
}

// kvmRegisters(vcpu) -> { rip, rsp, rflags, cr0, cr3, cr4, efer } (for fault reports)
Napi::Value Registers(const Napi::CallbackInfo& info) {
  VcpuHandle& h = vcpuOf(info[0]);
  kvm::VcpuRegisters r = h.vcpu->registers();
  Napi::Object o = Napi::Object::New(info.Env());
  for (auto [key, value] : {std::pair{"rip", r.rip}, std::pair{"rsp", r.rsp}, std::pair{"rflags", r.rflags}, std::pair{"cr0", r.cr0}, std::pair{"cr3", r.cr3},
                            std::pair{"cr4", r.cr4}, std::pair{"efer", r.efer}}) {
    o.Set(key, Napi::Number::New(info.Env(), static_cast<double>(value)));
  }
  return o;
}

// kvmSaveState(vcpu) -> the vCPU's state for a snapshot (kvm_state_object.h), at an exit boundary
Napi::Value SaveState(const Napi::CallbackInfo& info) {
  VcpuHandle& h = vcpuOf(info[0]);
  kvm::VcpuCpuState state = guarded(info.Env(), [&] { return h.vcpu->saveState(); });
  return kvmStateToObject(info.Env(), state);
}

// kvmLoadState(vcpu, state): a snapshot's state in place of an entry (checked by the caller first)
Napi::Value LoadState(const Napi::CallbackInfo& info) {
  VcpuHandle& h = vcpuOf(info[0]);
  kvm::VcpuCpuState state = kvmStateFromObject(info[1]);
  guarded(info.Env(), [&] {
    h.vcpu->loadState(state);
    return 0;
  });
  return info.Env().Undefined();
}

// kvmCloseVcpu(vcpu): stops its slice timer and closes it now (the handle becomes unusable).
Napi::Value CloseVcpu(const Napi::CallbackInfo& info) {
  auto& h = unwrapHandle<VcpuHandle>(info[0], kVcpuTag, "expected a vCPU handle from kvmCreateVcpu");
  h.vcpu.reset();
  return info.Env().Undefined();
}

// kickThread(tid) -> whether the thread existed
Napi::Value KickThread(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), kvm::kickThread(static_cast<int32_t>(number(info[0], "kickThread: tid"))));
}
}  // namespace

void registerKvm(Napi::Env env, Napi::Object exports) {
  exports.Set("kvmProbe", Napi::Function::New(env, Probe, "kvmProbe"));
  exports.Set("pageOffsetOf", Napi::Function::New(env, PageOffsetOf, "pageOffsetOf"));
  exports.Set("kvmCreateVm", Napi::Function::New(env, CreateVm, "kvmCreateVm"));
  exports.Set("kvmDestroyVm", Napi::Function::New(env, DestroyVm, "kvmDestroyVm"));
  exports.Set("kvmCreateVcpu", Napi::Function::New(env, CreateVcpu, "kvmCreateVcpu"));
  exports.Set("kvmEnterLongMode", Napi::Function::New(env, EnterLongMode, "kvmEnterLongMode"));
  exports.Set("kvmRun", Napi::Function::New(env, Run, "kvmRun"));
  exports.Set("kvmCompleteRead", Napi::Function::New(env, CompleteRead, "kvmCompleteRead"));
  exports.Set("kvmRegisters", Napi::Function::New(env, Registers, "kvmRegisters"));
  exports.Set("kvmSaveState", Napi::Function::New(env, SaveState, "kvmSaveState"));
  exports.Set("kvmLoadState", Napi::Function::New(env, LoadState, "kvmLoadState"));
  exports.Set("kvmCloseVcpu", Napi::Function::New(env, CloseVcpu, "kvmCloseVcpu"));
  exports.Set("kickThread", Napi::Function::New(env, KickThread, "kickThread"));
}
}  // namespace pvg::addon
