#include "kvm/kvm_vm.h"

#include <sys/ioctl.h>

#include <cerrno>

namespace pvg::kvm {
namespace {
constexpr uint64_t kPage = 4096;
// Intel VT-x needs three pages for the real-mode TSS somewhere the guest never uses; our guests
// start in long mode, but KVM still wants the address set. Just below 4 GiB, like QEMU.
constexpr uint64_t kTssAddress = 0xfffb'd000;
}  // namespace

KvmVm::KvmVm(const char* devicePath) : system_(devicePath) {
  int fd = ::ioctl(system_.fd(), KVM_CREATE_VM, 0);
  if (fd < 0) throw KvmError("KVM_CREATE_VM: " + errnoText(errno));
  vm_.reset(fd);
  if (::ioctl(vm_.get(), KVM_SET_TSS_ADDR, kTssAddress) < 0) throw KvmError("KVM_SET_TSS_ADDR: " + errnoText(errno));
}

KvmVm::~KvmVm() { removeAllMemory(); }

void KvmVm::addMemory(uint64_t gpa, uint64_t bytes, void* host, bool readOnly) {
  auto address = reinterpret_cast<uintptr_t>(host);
  if (gpa % kPage != 0 || bytes % kPage != 0 || bytes == 0 || address % kPage != 0) {
    throw KvmError("memory slot: guest address, size and host address must be page-aligned and the size non-zero");
  }
  std::lock_guard lock(mutex_);
  for (const MemorySlot& s : slots_) {
    if (gpa < s.gpa + s.bytes && s.gpa < gpa + bytes) throw KvmError("memory slot overlaps an earlier one");
  }
  kvm_userspace_memory_region region{};
  region.slot = static_cast<uint32_t>(slots_.size());
  region.flags = readOnly ? KVM_MEM_READONLY : 0;
  region.guest_phys_addr = gpa;
  region.memory_size = bytes;
  region.userspace_addr = address;
  if (::ioctl(vm_.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0) throw KvmError("KVM_SET_USER_MEMORY_REGION: " + errnoText(errno));
  slots_.push_back(MemorySlot{region.slot, gpa, bytes, host, readOnly});
}

void KvmVm::removeAllMemory() {
  std::lock_guard lock(mutex_);
  for (const MemorySlot& s : slots_) {
    kvm_userspace_memory_region region{};
    region.slot = s.slot;
    region.memory_size = 0;  // size 0 deletes the slot
    ::ioctl(vm_.get(), KVM_SET_USER_MEMORY_REGION, &region);
  }
  slots_.clear();
}

bool KvmVm::inReadOnlySlot(uint64_t gpa) const {
  std::lock_guard lock(mutex_);
  for (const MemorySlot& s : slots_) {
    if (s.readOnly && gpa >= s.gpa && gpa - s.gpa < s.bytes) return true;
  }
  return false;
}
}  // namespace pvg::kvm
