// A KVM vCPU's snapshot state (kvm::VcpuCpuState) as the plain object JavaScript saves into a
// snapshot section and checks on load (actors/vcpu/kvm/vcpu-state.ts has its type): 64-bit
// values as BigInt, the rest as numbers, the FPU's byte arrays as Uint8Arrays. Field names, not
// a byte layout, are the contract: the section's bytes are the TypeScript codec's own.
#pragma once
#include <napi.h>

#include "kvm/kvm_vcpu.h"

namespace pvg::addon {
Napi::Object kvmStateToObject(Napi::Env env, const kvm::VcpuCpuState& state);
/** Throws TypeError or RangeError for a missing field, a wrong type or a value its field cannot hold. */
kvm::VcpuCpuState kvmStateFromObject(const Napi::Value& value);
}  // namespace pvg::addon
