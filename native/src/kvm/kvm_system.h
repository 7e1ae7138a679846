// /dev/kvm: whether it can be used here, and why not when it cannot (a message a user can act
// on, never a crash), plus the few system-wide facts a VM and its vCPUs need.
#pragma once
#include <linux/kvm.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "kvm/unique_fd.h"

namespace pvg::kvm {
class KvmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Availability {
  bool ok = false;
  std::string reason;  // empty when ok
};

/** Opens `path` and checks the API version and the capabilities we rely on. Never throws. */
Availability probe(const char* path = "/dev/kvm");

/** The opened system device. Throws KvmError with probe()'s reason when it is unusable. */
class KvmSystem {
 public:
  explicit KvmSystem(const char* path = "/dev/kvm");
  int fd() const { return fd_.get(); }
  /** Size of each vCPU's shared kvm_run area. */
  size_t runAreaBytes() const { return runAreaBytes_; }
  /** The CPUID the host supports for guests (what every vCPU is given). */
  const std::vector<kvm_cpuid_entry2>& supportedCpuid() const { return cpuid_; }

 private:
  UniqueFd fd_;
  size_t runAreaBytes_ = 0;
  std::vector<kvm_cpuid_entry2> cpuid_;
};

/** errno as text, for messages. */
std::string errnoText(int error);
}  // namespace pvg::kvm
