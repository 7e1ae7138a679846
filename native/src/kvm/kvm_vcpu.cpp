#include "kvm/kvm_vcpu.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "abi/vcpu_irq_layout.h"
#include "kvm/kvm_ioctls.h"

namespace pvg::kvm {
namespace {
std::atomic_ref<int32_t> word(int32_t* words, uint32_t index) { return std::atomic_ref<int32_t>(words[index]); }

kvm_segment flatSegment(uint16_t selector, uint8_t type, bool code) {
  kvm_segment s{};
  s.base = 0;
  s.limit = 0xffff'ffff;
  s.selector = selector;
  s.type = type;
  s.present = 1;
  s.dpl = 0;
  s.s = 1;  // code or data, not a system segment
  s.g = 1;
  s.l = code ? 1 : 0;   // 64-bit code
  s.db = code ? 0 : 1;  // L and D/B must not both be set
  return s;
}

uint64_t littleEndian(const uint8_t* bytes, uint32_t size) {
  uint64_t v = 0;
  std::memcpy(&v, bytes, size <= 8 ? size : 8);
  return v;
}

constexpr uint64_t kCr0Pe = 1, kCr0Mp = 1u << 1, kCr0Et = 1u << 4, kCr0Ne = 1u << 5, kCr0Wp = 1u << 16, kCr0Pg = 1u << 31;
constexpr uint64_t kCr4Pae = 1u << 5, kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;
constexpr uint64_t kEferLme = 1u << 8, kEferLma = 1u << 10;
}  // namespace

KvmVcpu::KvmVcpu(std::shared_ptr<KvmVm> vm, uint32_t index, int32_t* irqWords, double slicePeriodMs)
    : vm_(std::move(vm)), irq_(irqWords), tid_(static_cast<pid_t>(::gettid())), owner_(pthread_self()) {
  int fd = ::ioctl(vm_->fd(), KVM_CREATE_VCPU, index);
  if (fd < 0) throw KvmError("KVM_CREATE_VCPU " + std::to_string(index) + ": " + errnoText(errno));
  fd_.reset(fd);
  runBytes_ = vm_->system().runAreaBytes();
  void* area = ::mmap(nullptr, runBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (area == MAP_FAILED) throw KvmError("mmap of the vCPU run area: " + errnoText(errno));
  run_ = static_cast<kvm_run*>(area);

  // The host's CPUID: long mode is refused to a vCPU whose CPUID does not report it.
  const auto& entries = vm_->system().supportedCpuid();
  std::vector<uint8_t> raw(kCpuidEntriesOffset + entries.size() * sizeof(kvm_cpuid_entry2));
  auto count = static_cast<uint32_t>(entries.size());
  std::memcpy(raw.data(), &count, sizeof count);  // nent
  std::memcpy(raw.data() + kCpuidEntriesOffset, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
  if (::ioctl(fd_.get(), kSetCpuid2, raw.data()) < 0) throw KvmError("KVM_SET_CPUID2: " + errnoText(errno));

  // Kicks: blocked on this thread except inside KVM_RUN (vcpu_kick.h).
  blockKickSignalOnThisThread();
  sigset_t during;
  pthread_sigmask(SIG_SETMASK, nullptr, &during);
  sigdelset(&during, kickSignal());
  std::vector<uint8_t> mask(kSignalMaskSetOffset + 8);
  uint32_t kernelSigsetBytes = 8;  // the kernel's sigset_t, not glibc's 128-byte one
  std::memcpy(mask.data(), &kernelSigsetBytes, sizeof kernelSigsetBytes);
  std::memcpy(mask.data() + kSignalMaskSetOffset, &during, 8);
  if (::ioctl(fd_.get(), kSetSignalMask, mask.data()) < 0) throw KvmError("KVM_SET_SIGNAL_MASK: " + errnoText(errno));
  if (slicePeriodMs > 0) slice_ = std::make_unique<SliceTimer>(tid_, slicePeriodMs);
}

KvmVcpu::~KvmVcpu() {
  word(irq_, irq::kKickThreadWord).store(0);
  slice_.reset();
  if (run_) ::munmap(run_, runBytes_);
  // A kick sent just before now may still be pending on this thread: take it, so it does not
  // end a later vCPU's first KVM_RUN on this thread for nothing.
  eatKicks();
}

void KvmVcpu::enterLongMode(const LongModeEntry& e) {
  // A vCPU stopped right after a read exit (vm.pause() stops at any exit, and vm.reset() then
  // enters the guest again) still has that read's completion pending in KVM: the next KVM_RUN
  // would finish the old instruction on top of the new registers. KVM_RUN with immediate_exit
  // completes it and returns at once (EINTR), as the KVM API documents for saving state.
  if (readPending_) completeRead(~uint64_t{0});
  completePendingExit();
  // A vCPU that ran a guest before may hold an event mid-delivery (an interrupt KVM re-injects
  // at the next entry whatever IF says): drop it, or the new guest takes it through a stale IDT
  // before it has one (a triple fault at the entry point).
  kvm_vcpu_events events{};
  if (::ioctl(fd_.get(), KVM_GET_VCPU_EVENTS, &events) < 0) throw KvmError("KVM_GET_VCPU_EVENTS: " + errnoText(errno));
  events.exception.injected = 0;
  events.exception.pending = 0;
  events.interrupt.injected = 0;
  events.nmi.injected = 0;
  events.nmi.pending = 0;
  events.flags &= ~uint32_t{KVM_VCPUEVENT_VALID_SHADOW};
  events.interrupt.shadow = 0;
  if (::ioctl(fd_.get(), KVM_SET_VCPU_EVENTS, &events) < 0) throw KvmError("KVM_SET_VCPU_EVENTS: " + errnoText(errno));
  kvm_sregs s{};
  if (::ioctl(fd_.get(), KVM_GET_SREGS, &s) < 0) throw KvmError("KVM_GET_SREGS: " + errnoText(errno));
  // GET_SREGS reports an interrupt being delivered in this bitmap, and SET_SREGS would queue it again.
  std::memset(s.interrupt_bitmap, 0, sizeof s.interrupt_bitmap);
  s.cs = flatSegment(kCodeSelector, 0xb, true);   // execute/read, accessed
  s.ss = flatSegment(kDataSelector, 0x3, false);  // read/write, accessed
  kvm_segment user = flatSegment(kUserDataSelector, 0x3, false);
  user.dpl = 3;
  s.ds = s.es = s.fs = s.gs = user;
  s.gs.base = e.gsBase;
  s.gdt.base = e.gdtBase;
  s.gdt.limit = e.gdtLimit;
  if (e.tssBase != 0) {
    s.tr = kvm_segment{};
    s.tr.base = e.tssBase;
    s.tr.limit = kTssLimit;
    s.tr.selector = kTssSelector;
    s.tr.type = 0xb;  // 64-bit TSS, busy
    s.tr.present = 1;
  }
  s.cr0 = kCr0Pe | kCr0Mp | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
  s.cr3 = e.cr3;
  s.cr4 = kCr4Pae | kCr4Osfxsr | kCr4Osxmmexcpt;
  s.efer = kEferLme | kEferLma;
  if (::ioctl(fd_.get(), KVM_SET_SREGS, &s) < 0) throw KvmError("KVM_SET_SREGS: " + errnoText(errno));
  kvm_regs r{};
  r.rip = e.rip;
  r.rsp = e.rsp;
  r.rdi = e.rdi;
  r.rflags = 0x2;  // bit 1 is always set; interrupts off until the guest is ready
  if (::ioctl(fd_.get(), KVM_SET_REGS, &r) < 0) throw KvmError("KVM_SET_REGS: " + errnoText(errno));
  readPending_ = false;
  stateKnown_ = false;
}

void KvmVcpu::completePendingExit() {
  if (!stateKnown_) return;
  run_->immediate_exit = 1;
  const int r = ::ioctl(fd_.get(), KVM_RUN, 0);
  const int error = errno;
  run_->immediate_exit = 0;
  if (r < 0 && error != EINTR && error != EAGAIN) throw KvmError("KVM_RUN (immediate exit): " + errnoText(error));
}

void KvmVcpu::requireOwner() const {
  if (!pthread_equal(pthread_self(), owner_)) throw KvmError("a vCPU runs only on the thread that created it");
}

int KvmVcpu::takeHighestPending() {
  for (int i = static_cast<int>(irq::kPendingWords) - 1; i >= 0; --i) {
    auto pending = word(irq_, irq::kPendingWord + i);
    int32_t bits = pending.load();
    while (bits != 0) {
      int b = 31 - __builtin_clz(static_cast<uint32_t>(bits));
      int32_t mask = static_cast<int32_t>(1u << b);
      int32_t old = pending.fetch_and(~mask);
      if (old & mask) return i * 32 + b;
      bits = old & ~mask;  // another taker cleared it first
    }
  }
  return -1;
}

void KvmVcpu::arrangeInterrupts() {
  bool pending = false;
  for (uint32_t i = 0; i < irq::kPendingWords && !pending; ++i) pending = word(irq_, irq::kPendingWord + i).load() != 0;
  // The run area's view of the guest (can it take an interrupt?) dates from the last exit; after
  // enterLongMode it describes the previous guest, so ask for a window instead of trusting it.
  if (pending && stateKnown_ && run_->ready_for_interrupt_injection && run_->if_flag) {
    int vector = takeHighestPending();
    if (vector >= 0) {
      kvm_interrupt interrupt{static_cast<uint32_t>(vector)};
      if (::ioctl(fd_.get(), KVM_INTERRUPT, &interrupt) < 0) throw KvmError("KVM_INTERRUPT: " + errnoText(errno));
      ++injections_;
    }
    pending = false;
    for (uint32_t i = 0; i < irq::kPendingWords && !pending; ++i) pending = word(irq_, irq::kPendingWord + i).load() != 0;
  }
  // Still something the guest cannot take yet: exit as soon as it can.
  run_->request_interrupt_window = pending ? 1 : 0;
}

VcpuExit KvmVcpu::run() {
  // pthread_self, not gettid: no system call per entry (system calls are dear on PVM hosts).
  requireOwner();
  if (readPending_) completeRead(~uint64_t{0});  // a read nobody answered reads as all ones
  // Publish the thread first, then look at the pending vectors: a delivery after this look
  // sees the thread id and kicks, so it ends the KVM_RUN below (docs/kvm.md).
  auto kick = word(irq_, irq::kKickThreadWord);
  kick.store(tid_);
  arrangeInterrupts();
  int r = ::ioctl(fd_.get(), KVM_RUN, 0);
  int error = errno;
  kick.store(0);
  stateKnown_ = true;
  VcpuExit exit;
  if (r < 0) {
    if (error == EINTR || error == EAGAIN) {
      // The kick stays pending (blocked again out here) and would end every later entry at
      // once: take it. Whatever it announced (a pending vector, a stop) is in shared words the
      // caller and the next entry look at.
      eatKicks();
      exit.kind = ExitKind::Interrupted;
      return exit;
    }
    throw KvmError("KVM_RUN: " + errnoText(error));
  }
  exit.detail = run_->exit_reason;
  switch (run_->exit_reason) {
    case KVM_EXIT_MMIO:
      exit.kind = run_->mmio.is_write ? ExitKind::MmioWrite : ExitKind::MmioRead;
      exit.address = run_->mmio.phys_addr;
      exit.size = run_->mmio.len;
      if (run_->mmio.is_write)
        exit.value = littleEndian(run_->mmio.data, run_->mmio.len);
      else
        readPending_ = true;
      break;
    case KVM_EXIT_IO: {
      const uint8_t* data = reinterpret_cast<const uint8_t*>(run_) + run_->io.data_offset;
      exit.kind = run_->io.direction == KVM_EXIT_IO_OUT ? ExitKind::IoOut : ExitKind::IoIn;
      exit.address = run_->io.port;
      exit.size = run_->io.size;
      exit.count = run_->io.count;
      if (exit.kind == ExitKind::IoOut)
        exit.value = littleEndian(data, run_->io.size);
      else
        readPending_ = true;
      break;
    }
    case KVM_EXIT_HLT:
      exit.kind = ExitKind::Halt;
      break;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
      exit.kind = ExitKind::InterruptWindow;
      break;
    case KVM_EXIT_INTR:
      exit.kind = ExitKind::Interrupted;
      break;
    case KVM_EXIT_SHUTDOWN:
      exit.kind = ExitKind::Shutdown;
      break;
    case KVM_EXIT_FAIL_ENTRY:
      exit.kind = ExitKind::FailEntry;
      exit.detail = run_->fail_entry.hardware_entry_failure_reason;
      break;
    case KVM_EXIT_INTERNAL_ERROR:
      exit.kind = ExitKind::InternalError;
      exit.detail = run_->internal.suberror;
      break;
    default:
      exit.kind = ExitKind::Other;
      break;
  }
  return exit;
}

void KvmVcpu::completeRead(uint64_t value) {
  if (!readPending_) return;
  readPending_ = false;
  if (run_->exit_reason == KVM_EXIT_MMIO) {
    std::memcpy(run_->mmio.data, &value, run_->mmio.len <= 8 ? run_->mmio.len : 8);
  } else if (run_->exit_reason == KVM_EXIT_IO) {
    // String input repeats the value: count × size bytes in the run area.
    auto* data = reinterpret_cast<uint8_t*>(run_) + run_->io.data_offset;
    for (uint32_t i = 0; i < run_->io.count; ++i) std::memcpy(data + i * run_->io.size, &value, run_->io.size <= 8 ? run_->io.size : 8);
  }
}

VcpuRegisters KvmVcpu::registers() const {
  kvm_regs r{};
  kvm_sregs s{};
  ::ioctl(fd_.get(), KVM_GET_REGS, &r);
  ::ioctl(fd_.get(), KVM_GET_SREGS, &s);
  return VcpuRegisters{r.rip, r.rsp, r.rflags, s.cr0, s.cr3, s.cr4, s.efer};
}

VcpuCpuState KvmVcpu::saveState() {
  requireOwner();
  // The caller answers every read before its step ends; one still open here has no value to give.
  if (readPending_) throw KvmError("a read exit is not answered: the vCPU is not at an exit boundary");
  completePendingExit();
  VcpuCpuState s;
  if (::ioctl(fd_.get(), KVM_GET_REGS, &s.regs) < 0) throw KvmError("KVM_GET_REGS: " + errnoText(errno));
  if (::ioctl(fd_.get(), KVM_GET_SREGS, &s.sregs) < 0) throw KvmError("KVM_GET_SREGS: " + errnoText(errno));
  if (::ioctl(fd_.get(), KVM_GET_FPU, &s.fpu) < 0) throw KvmError("KVM_GET_FPU: " + errnoText(errno));
  // Last, as Firecracker does: the other GET ioctls may still move an event.
  if (::ioctl(fd_.get(), KVM_GET_VCPU_EVENTS, &s.events) < 0) throw KvmError("KVM_GET_VCPU_EVENTS: " + errnoText(errno));
  // This machine never enters SMM nor sends NMIs or SIPIs: a vCPU in such a state is not one a
  // snapshot of it can describe.
  if (s.events.smi.smm || s.events.smi.pending || s.events.nmi.injected || s.events.nmi.pending)
    throw KvmError("the vCPU is in SMM or has an NMI in flight, which this machine never raises");
  return s;
}

void KvmVcpu::loadState(const VcpuCpuState& state) {
  requireOwner();
  readPending_ = false;
  completePendingExit();
  if (::ioctl(fd_.get(), KVM_SET_REGS, &state.regs) < 0) throw KvmError("KVM_SET_REGS: " + errnoText(errno));
  if (::ioctl(fd_.get(), KVM_SET_SREGS, &state.sregs) < 0) throw KvmError("KVM_SET_SREGS: " + errnoText(errno));
  if (::ioctl(fd_.get(), KVM_SET_FPU, &state.fpu) < 0) throw KvmError("KVM_SET_FPU: " + errnoText(errno));
  // Only what the snapshot keeps, with the flags that make KVM take it: the interrupt shadow
  // and NMI state; no SMM, SIPI, payload or triple-fault fields (capabilities we never enable).
  kvm_vcpu_events events{};
  events.exception = state.events.exception;
  // Without KVM_VCPUEVENT_VALID_PAYLOAD (a capability we never enable) KVM drops a pending
  // exception on SET, and reports one as injected on GET: hand it back the way GET would.
  events.exception.injected = state.events.exception.injected || state.events.exception.pending;
  events.exception.pending = 0;
  events.interrupt = state.events.interrupt;
  events.nmi = state.events.nmi;
  events.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;
  if (::ioctl(fd_.get(), KVM_SET_VCPU_EVENTS, &events) < 0) throw KvmError("KVM_SET_VCPU_EVENTS: " + errnoText(errno));
  // The run area still describes whatever ran before: arrangeInterrupts asks for a window
  // rather than trusting it, as after enterLongMode.
  stateKnown_ = false;
}
}  // namespace pvg::kvm
