// Ioctl numbers whose argument ends in a flexible array. The ioctl number encodes the struct's
// size, and with these kernel headers C++ sizes such structs differently from C (the
// __DECLARE_FLEX_ARRAY helper), so the header's own macros give numbers the kernel refuses
// (EINVAL). These use the C sizes, which is what the kernel compares against.
#pragma once
#include <linux/kvm.h>

#include <cstddef>

namespace pvg::kvm {
// struct kvm_cpuid2 { __u32 nent; __u32 padding; entries[] }: 8 bytes in C, entries at 8.
inline constexpr unsigned long kGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, 8);
inline constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, 8);
inline constexpr size_t kCpuidEntriesOffset = 8;
// struct kvm_signal_mask { __u32 len; __u8 sigset[] }: 4 bytes in C, sigset at 4.
inline constexpr unsigned long kSetSignalMask = _IOC(_IOC_WRITE, KVMIO, 0x8b, 4);
inline constexpr size_t kSignalMaskSetOffset = 4;
}  // namespace pvg::kvm
