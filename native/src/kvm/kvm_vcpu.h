// One KVM vCPU, driven by the thread that created it: set it up in long mode, run it until it
// exits, and hand each exit to the caller as plain data (the vCPU actor turns MMIO exits into
// the same bus accesses the TypeScript guest makes). Interrupts are injected from user space:
// before each entry the vCPU looks at its interrupt state (the SAB words every deliverer
// writes, docs/interrupts.md) and injects the highest pending vector when the guest can take
// it, or asks KVM to exit as soon as it can (an interrupt window). While it is inside KVM_RUN
// it publishes its thread id in the interrupt state, and deliverers kick it (vcpu_kick.h).
#pragma once
#include <linux/kvm.h>
#include <pthread.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "abi/kvm_exits.h"
#include "kvm/kvm_vm.h"
#include "kvm/vcpu_kick.h"

namespace pvg::kvm {
// ExitKind (why KVM_RUN returned) is generated from abi/schema/kvm-exits.ts.
struct VcpuExit {
  ExitKind kind = ExitKind::Other;
  uint64_t address = 0;  // MMIO guest-physical address, or the I/O port
  uint32_t size = 0;     // access size in bytes
  uint64_t value = 0;    // data written (MmioWrite, IoOut)
  uint32_t count = 1;    // I/O repetitions (string I/O)
  uint64_t detail = 0;   // raw exit reason, hardware failure reason or internal-error suberror
};

/** Where a long-mode guest starts (the caller has built page tables and a GDT in guest RAM). */
struct LongModeEntry {
  uint64_t rip = 0;
  uint64_t rsp = 0;
  uint64_t rdi = 0;
  uint64_t gsBase = 0;
  uint64_t cr3 = 0;
  uint64_t gdtBase = 0;
  uint16_t gdtLimit = 0;
  /** A 64-bit TSS (RSP0: the stack interrupts from ring 3 switch to); 0 keeps KVM's default TR. */
  uint64_t tssBase = 0;
};

/**
 * GDT selectors the caller's GDT must provide: 1 kernel code (64-bit), 2 kernel data, 3 user
 * data, 4 user code (64-bit), 5–6 the TSS (a 16-byte descriptor).
 */
constexpr uint16_t kCodeSelector = 0x08;
constexpr uint16_t kDataSelector = 0x10;
/** DS, ES, FS and GS hold the ring-3 data segment (usable in both rings): an iretq to ring 3
 * would null a ring-0 one, and GS carries the boot block's base. */
constexpr uint16_t kUserDataSelector = 0x1b;
constexpr uint16_t kTssSelector = 0x28;
constexpr uint32_t kTssLimit = 0x67;

struct VcpuRegisters {
  uint64_t rip, rsp, rflags, cr0, cr3, cr4, efer;
};

/**
 * What a snapshot keeps of a vCPU (docs/kvm.md, "Snapshots"), in KVM's own structs: general and
 * special registers, x87/SSE (the guest never enables XSAVE: CR4.OSXSAVE stays clear) and the
 * events being delivered. No MSR: neither the set-up nor the guest programs one (EFER and the
 * segment bases are in the special registers).
 */
struct VcpuCpuState {
  kvm_regs regs{};
  kvm_sregs sregs{};
  kvm_fpu fpu{};
  kvm_vcpu_events events{};
};

class KvmVcpu {
 public:
  /**
   * Creates vCPU `index` of `vm`, bound to the calling thread. `irqWords` is the vCPU's
   * interrupt state (16 int32 words; kept alive by the caller for this object's life).
   * `slicePeriodMs` > 0 kicks the thread that often so KVM_RUN returns regularly.
   */
  KvmVcpu(std::shared_ptr<KvmVm> vm, uint32_t index, int32_t* irqWords, double slicePeriodMs);
  ~KvmVcpu();
  KvmVcpu(const KvmVcpu&) = delete;
  KvmVcpu& operator=(const KvmVcpu&) = delete;

  void enterLongMode(const LongModeEntry& entry);
  /** One KVM_RUN. Throws KvmError on a host-side failure (not on a guest's misbehaviour). */
  VcpuExit run();
  /** The value an MmioRead or IoIn exit reads; must come before the next run(). */
  void completeRead(uint64_t value);
  VcpuRegisters registers() const;
  /**
   * The state at an exit boundary, for a snapshot. The last exit's I/O is completed first
   * (KVM_RUN with immediate_exit), as the KVM API asks before state is saved; a read exit nobody
   * answered is refused. Throws KvmError.
   */
  VcpuCpuState saveState();
  /**
   * Loads a snapshot's state into this vCPU in place of an entry (the caller checked it; KVM
   * checks again and refuses with KvmError). The same order as Firecracker's restore: registers,
   * special registers, FPU, and the events last (KVM_SET_REGS drops a pending exception).
   */
  void loadState(const VcpuCpuState& state);
  bool inReadOnlySlot(uint64_t gpa) const { return vm_->inReadOnlySlot(gpa); }
  uint64_t injections() const { return injections_; }
  pid_t thread() const { return tid_; }

 private:
  void arrangeInterrupts();
  /** Completes the I/O of the last exit without entering the guest (no-op before the first run). */
  void completePendingExit();
  void requireOwner() const;
  int takeHighestPending();

  std::shared_ptr<KvmVm> vm_;
  UniqueFd fd_;
  kvm_run* run_ = nullptr;
  size_t runBytes_ = 0;
  int32_t* irq_;
  pid_t tid_;
  pthread_t owner_;
  std::unique_ptr<SliceTimer> slice_;
  bool readPending_ = false;
  /** Whether the run area describes this guest (false until the first exit after enterLongMode). */
  bool stateKnown_ = false;
  uint64_t injections_ = 0;
};
}  // namespace pvg::kvm
