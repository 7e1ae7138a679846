// One KVM virtual machine: its file descriptor and its memory slots. Guest RAM is host memory
// we already own (the VM's SharedArrayBuffer), registered slot by slot; the caller keeps that
// memory alive until removeAllMemory() or destruction (both drop every slot first).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "kvm/kvm_system.h"

namespace pvg::kvm {
struct MemorySlot {
  uint32_t slot;
  uint64_t gpa;
  uint64_t bytes;
  void* host;
  bool readOnly;
};

class KvmVm {
 public:
  explicit KvmVm(const char* devicePath = "/dev/kvm");
  ~KvmVm();
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  /** Registers [gpa, gpa + bytes) backed by `host`; all three page-aligned. Throws KvmError. */
  void addMemory(uint64_t gpa, uint64_t bytes, void* host, bool readOnly);
  /** Drops every slot: afterwards the kernel no longer touches the host memory. */
  void removeAllMemory();
  /** Whether gpa lies in a read-only slot (a guest write there exits as MMIO). */
  bool inReadOnlySlot(uint64_t gpa) const;

  int fd() const { return vm_.get(); }
  const KvmSystem& system() const { return system_; }

 private:
  KvmSystem system_;
  UniqueFd vm_;
  mutable std::mutex mutex_;
  std::vector<MemorySlot> slots_;
};
}  // namespace pvg::kvm
