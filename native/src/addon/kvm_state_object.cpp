#include "addon/kvm_state_object.h"

#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace pvg::addon {
namespace {
using kvm::VcpuCpuState;

// kvm_regs's members in its own order: the object's `regs` names them.
constexpr std::array<const char*, 18> kRegNames = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8",
                                                   "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"};
static_assert(sizeof(kvm_regs) == kRegNames.size() * sizeof(uint64_t), "kvm_regs is 18 u64 in order");

std::array<__u64*, 18> regSlots(kvm_regs& r) {
  return {&r.rax, &r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi, &r.rsp, &r.rbp, &r.r8, &r.r9, &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15, &r.rip, &r.rflags};
}

std::array<std::pair<const char*, kvm_segment*>, 8> segmentSlots(kvm_sregs& s) {
  return {{{"cs", &s.cs}, {"ds", &s.ds}, {"es", &s.es}, {"fs", &s.fs}, {"gs", &s.gs}, {"ss", &s.ss}, {"tr", &s.tr}, {"ldt", &s.ldt}}};
}

std::array<std::pair<const char*, __u64*>, 7> controlSlots(kvm_sregs& s) {
  return {{{"cr0", &s.cr0}, {"cr2", &s.cr2}, {"cr3", &s.cr3}, {"cr4", &s.cr4}, {"cr8", &s.cr8}, {"efer", &s.efer}, {"apicBase", &s.apic_base}}};
}

Napi::Object field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsObject()) throw Napi::TypeError::New(o.Env(), std::string("KVM state: ") + key + " must be an object");
  return v.As<Napi::Object>();
}

uint64_t big(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBigInt()) throw Napi::TypeError::New(o.Env(), std::string("KVM state: ") + key + " must be a BigInt");
  bool lossless = false;
  uint64_t value = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw Napi::RangeError::New(o.Env(), std::string("KVM state: ") + key + " must be a u64");
  return value;
}

template <class T>
T small(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("KVM state: ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > static_cast<double>(std::numeric_limits<T>::max()) || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw Napi::RangeError::New(o.Env(), std::string("KVM state: ") + key + " out of range");
  return static_cast<T>(d);
}

void bytesInto(const Napi::Object& o, const char* key, void* into, size_t length) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || v.As<Napi::Uint8Array>().ByteLength() != length)
    throw Napi::TypeError::New(o.Env(), std::string("KVM state: ") + key + " must be a Uint8Array of " + std::to_string(length));
  std::memcpy(into, v.As<Napi::Uint8Array>().Data(), length);
}

Napi::Uint8Array bytesOf(Napi::Env env, const void* from, size_t length) {
  auto out = Napi::Uint8Array::New(env, length);
  std::memcpy(out.Data(), from, length);
  return out;
}

Napi::Object segmentObject(Napi::Env env, const kvm_segment& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("base", Napi::BigInt::New(env, static_cast<uint64_t>(s.base)));
  o.Set("limit", s.limit);
  o.Set("selector", s.selector);
  for (auto [key, value] : {std::pair{"type", s.type}, std::pair{"present", s.present}, std::pair{"dpl", s.dpl}, std::pair{"db", s.db}, std::pair{"s", s.s},
                            std::pair{"l", s.l}, std::pair{"g", s.g}, std::pair{"avl", s.avl}, std::pair{"unusable", s.unusable}})
    o.Set(key, value);
  return o;
}

kvm_segment segmentFrom(const Napi::Object& o) {
  kvm_segment s{};
  s.base = big(o, "base");
  s.limit = small<uint32_t>(o, "limit");
  s.selector = small<uint16_t>(o, "selector");
  s.type = small<uint8_t>(o, "type");
  s.present = small<uint8_t>(o, "present");
  s.dpl = small<uint8_t>(o, "dpl");
  s.db = small<uint8_t>(o, "db");
  s.s = small<uint8_t>(o, "s");
  s.l = small<uint8_t>(o, "l");
  s.g = small<uint8_t>(o, "g");
  s.avl = small<uint8_t>(o, "avl");
  s.unusable = small<uint8_t>(o, "unusable");
  return s;
}

Napi::Object tableObject(Napi::Env env, const kvm_dtable& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("base", Napi::BigInt::New(env, static_cast<uint64_t>(t.base)));
  o.Set("limit", t.limit);
  return o;
}

kvm_dtable tableFrom(const Napi::Object& o) {
  kvm_dtable t{};
  t.base = big(o, "base");
  t.limit = small<uint16_t>(o, "limit");
  return t;
}
}  // namespace

Napi::Object kvmStateToObject(Napi::Env env, const VcpuCpuState& given) {
  VcpuCpuState state = given;  // the slot helpers take non-const structs
  Napi::Object o = Napi::Object::New(env);
  Napi::Object regs = Napi::Object::New(env);
  auto slots = regSlots(state.regs);
  for (size_t i = 0; i < slots.size(); ++i) regs.Set(kRegNames[i], Napi::BigInt::New(env, static_cast<uint64_t>(*slots[i])));
  o.Set("regs", regs);

  Napi::Object sregs = Napi::Object::New(env);
  for (auto [key, segment] : segmentSlots(state.sregs)) sregs.Set(key, segmentObject(env, *segment));
  sregs.Set("gdt", tableObject(env, state.sregs.gdt));
  sregs.Set("idt", tableObject(env, state.sregs.idt));
  for (auto [key, value] : controlSlots(state.sregs)) sregs.Set(key, Napi::BigInt::New(env, static_cast<uint64_t>(*value)));
  Napi::Array bitmap = Napi::Array::New(env, 4);
  for (uint32_t i = 0; i < 4; ++i) bitmap.Set(i, Napi::BigInt::New(env, static_cast<uint64_t>(state.sregs.interrupt_bitmap[i])));
  sregs.Set("interruptBitmap", bitmap);
  o.Set("sregs", sregs);

  const kvm_fpu& f = state.fpu;
  Napi::Object fpu = Napi::Object::New(env);
  fpu.Set("fpr", bytesOf(env, f.fpr, sizeof f.fpr));
  fpu.Set("fcw", f.fcw);
  fpu.Set("fsw", f.fsw);
  fpu.Set("ftwx", f.ftwx);
  fpu.Set("lastOpcode", f.last_opcode);
  fpu.Set("lastIp", Napi::BigInt::New(env, static_cast<uint64_t>(f.last_ip)));
  fpu.Set("lastDp", Napi::BigInt::New(env, static_cast<uint64_t>(f.last_dp)));
  fpu.Set("xmm", bytesOf(env, f.xmm, sizeof f.xmm));
  fpu.Set("mxcsr", f.mxcsr);
  o.Set("fpu", fpu);

  const kvm_vcpu_events& e = state.events;
  Napi::Object exception = Napi::Object::New(env);
  exception.Set("injected", e.exception.injected);
  exception.Set("nr", e.exception.nr);
  exception.Set("hasErrorCode", e.exception.has_error_code);
  exception.Set("pending", e.exception.pending);
  exception.Set("errorCode", e.exception.error_code);
  Napi::Object interrupt = Napi::Object::New(env);
  interrupt.Set("injected", e.interrupt.injected);
  interrupt.Set("nr", e.interrupt.nr);
  interrupt.Set("soft", e.interrupt.soft);
  interrupt.Set("shadow", e.interrupt.shadow);
  Napi::Object nmi = Napi::Object::New(env);
  nmi.Set("injected", e.nmi.injected);
  nmi.Set("pending", e.nmi.pending);
  nmi.Set("masked", e.nmi.masked);
  Napi::Object events = Napi::Object::New(env);
  events.Set("exception", exception);
  events.Set("interrupt", interrupt);
  events.Set("nmi", nmi);
  o.Set("events", events);
  return o;
}

VcpuCpuState kvmStateFromObject(const Napi::Value& value) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "KVM state: expected an object");
  auto o = value.As<Napi::Object>();
  VcpuCpuState state;
  Napi::Object regs = field(o, "regs");
  auto slots = regSlots(state.regs);
  for (size_t i = 0; i < slots.size(); ++i) *slots[i] = big(regs, kRegNames[i]);

  Napi::Object sregs = field(o, "sregs");
  for (auto [key, segment] : segmentSlots(state.sregs)) *segment = segmentFrom(field(sregs, key));
  state.sregs.gdt = tableFrom(field(sregs, "gdt"));
  state.sregs.idt = tableFrom(field(sregs, "idt"));
  for (auto [key, slot] : controlSlots(state.sregs)) *slot = big(sregs, key);
  Napi::Object bitmap = field(sregs, "interruptBitmap");
  for (uint32_t i = 0; i < 4; ++i) state.sregs.interrupt_bitmap[i] = big(bitmap, std::to_string(i).c_str());

  Napi::Object fpu = field(o, "fpu");
  kvm_fpu& f = state.fpu;
  bytesInto(fpu, "fpr", f.fpr, sizeof f.fpr);
  f.fcw = small<uint16_t>(fpu, "fcw");
  f.fsw = small<uint16_t>(fpu, "fsw");
  f.ftwx = small<uint8_t>(fpu, "ftwx");
  f.last_opcode = small<uint16_t>(fpu, "lastOpcode");
  f.last_ip = big(fpu, "lastIp");
  f.last_dp = big(fpu, "lastDp");
  bytesInto(fpu, "xmm", f.xmm, sizeof f.xmm);
  f.mxcsr = small<uint32_t>(fpu, "mxcsr");

  Napi::Object events = field(o, "events");
  Napi::Object exception = field(events, "exception");
  kvm_vcpu_events& e = state.events;
  e.exception.injected = small<uint8_t>(exception, "injected");
  e.exception.nr = small<uint8_t>(exception, "nr");
  e.exception.has_error_code = small<uint8_t>(exception, "hasErrorCode");
  e.exception.pending = small<uint8_t>(exception, "pending");
  e.exception.error_code = small<uint32_t>(exception, "errorCode");
  Napi::Object interrupt = field(events, "interrupt");
  e.interrupt.injected = small<uint8_t>(interrupt, "injected");
  e.interrupt.nr = small<uint8_t>(interrupt, "nr");
  e.interrupt.soft = small<uint8_t>(interrupt, "soft");
  e.interrupt.shadow = small<uint8_t>(interrupt, "shadow");
  Napi::Object nmi = field(events, "nmi");
  e.nmi.injected = small<uint8_t>(nmi, "injected");
  e.nmi.pending = small<uint8_t>(nmi, "pending");
  e.nmi.masked = small<uint8_t>(nmi, "masked");
  return state;
}
}  // namespace pvg::addon
