#include "kvm/kvm_system.h"

#include "kvm/kvm_ioctls.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace pvg::kvm {
namespace {
struct Opened {
  UniqueFd fd;
  std::string reason;
};

Opened openChecked(const char* path) {
  Opened o;
  int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      o.reason = std::string(path) + " does not exist (no KVM on this machine, or the kvm module is not loaded)";
    else if (e == EACCES || e == EPERM)
      o.reason = std::string(path) + " is not accessible to this user (add the user to the 'kvm' group)";
    else
      o.reason = std::string("cannot open ") + path + ": " + errnoText(e);
    return o;
  }
  o.fd.reset(fd);
  int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION) {
    o.reason = std::string(path) + ": KVM API version " + std::to_string(version) + ", expected " + std::to_string(KVM_API_VERSION);
    o.fd.reset();
    return o;
  }
  // Read-only slots (the guest image) and the host's CPUID list (long mode needs it) are required.
  for (auto [cap, name] : {std::pair{KVM_CAP_READONLY_MEM, "read-only memory slots"}, std::pair{KVM_CAP_EXT_CPUID, "KVM_GET_SUPPORTED_CPUID"}}) {
    if (::ioctl(fd, KVM_CHECK_EXTENSION, cap) <= 0) {
      o.reason = std::string(path) + ": this kernel's KVM lacks " + name;
      o.fd.reset();
      return o;
    }
  }
  return o;
}
}  // namespace

std::string errnoText(int error) { return std::string(std::strerror(error)) + " (errno " + std::to_string(error) + ")"; }

Availability probe(const char* path) {
  Opened o = openChecked(path);
  return Availability{o.fd.valid(), o.reason};
}

KvmSystem::KvmSystem(const char* path) {
  Opened o = openChecked(path);
  if (!o.fd.valid()) throw KvmError(o.reason);
  fd_ = std::move(o.fd);
  int bytes = ::ioctl(fd_.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (bytes <= 0) throw KvmError("KVM_GET_VCPU_MMAP_SIZE: " + errnoText(errno));
  runAreaBytes_ = static_cast<size_t>(bytes);
  // The entry count is not known up front: grow until the kernel stops saying E2BIG.
  for (uint32_t n = 64; n <= 4096; n *= 2) {
    std::vector<uint8_t> raw(kCpuidEntriesOffset + n * sizeof(kvm_cpuid_entry2));
    std::memcpy(raw.data(), &n, sizeof n);  // nent
    if (::ioctl(fd_.get(), kGetSupportedCpuid, raw.data()) == 0) {
      uint32_t got = 0;
      std::memcpy(&got, raw.data(), sizeof got);
      cpuid_.resize(got);
      std::memcpy(cpuid_.data(), raw.data() + kCpuidEntriesOffset, got * sizeof(kvm_cpuid_entry2));
      return;
    }
    if (errno != E2BIG) throw KvmError("KVM_GET_SUPPORTED_CPUID (" + std::to_string(n) + " entries): " + errnoText(errno));
  }
  throw KvmError("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
}
}  // namespace pvg::kvm
