// A tiny hand-assembled long-mode guest for the KVM layer's tests and benchmarks: 2 MiB of guest
// RAM at guest-physical 0 (anonymous memory, unmapped on destruction), identity-mapped in 2 MiB
// pages up to 1 GiB, a GDT with the selectors KvmVcpu expects, an IDT with at most one gate, and
// a few ready-made programs. Everything past the RAM has no memory slot, so guest accesses there
// exit to user space as MMIO.
//
//   0x1000 code        0x2000 interrupt handler   0x3000 IDT (256 gates)   0x4000 IDTR operand
//   0x5000 GDT         0x8000 top of stack        0x10000.. page tables
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "kvm/kvm_vcpu.h"
#include "kvm/kvm_vm.h"

namespace pvg::kvm::tiny {
inline constexpr uint64_t kRamBytes = 2 * 1024 * 1024;
inline constexpr uint64_t kCode = 0x1000, kHandler = 0x2000, kIdt = 0x3000, kIdtr = 0x4000, kGdt = 0x5000, kStackTop = 0x8000;
/** A ring-3 program's code and stack (Program::userMode). */
inline constexpr uint64_t kUserCode = 0x1800, kUserStackTop = 0x9000;
inline constexpr uint64_t kPml4 = 0x10000, kPdpt = 0x11000, kPd = 0x12000;
/** The first address past RAM: no slot, so the guest's accesses exit (the test sequence's MMIO). */
inline constexpr uint64_t kMmio = kRamBytes;
/** The port an interrupt handler reports on (docs/kvm.md: EOI), with the vector as the value. */
inline constexpr uint16_t kEoiPort = 0x500;
/** The port the test sequence writes the value it read to (docs/kvm.md: DONE). */
inline constexpr uint16_t kDonePort = 0x504;

/** Page-aligned anonymous memory, zeroed, unmapped when it goes. Throws KvmError if mmap fails. */
class GuestRam {
 public:
  explicit GuestRam(size_t bytes = kRamBytes);
  ~GuestRam();
  GuestRam(const GuestRam&) = delete;
  GuestRam& operator=(const GuestRam&) = delete;

  uint8_t* bytes() const { return bytes_; }
  size_t size() const { return size_; }
  /** Copies bytes to offset `at`; throws std::out_of_range past the end. */
  void put(uint64_t at, const uint8_t* data, size_t n);
  void put(uint64_t at, std::initializer_list<uint8_t> data) { put(at, data.begin(), data.size()); }
  void put(uint64_t at, const std::vector<uint8_t>& data) { put(at, data.data(), data.size()); }
  void put16(uint64_t at, uint16_t v) { put(at, reinterpret_cast<const uint8_t*>(&v), 2); }
  void put64(uint64_t at, uint64_t v) { put(at, reinterpret_cast<const uint8_t*>(&v), 8); }

 private:
  uint8_t* bytes_;
  size_t size_;
};

/** An interrupt handler: the gate for `vector` points at `code`, placed at kHandler. */
struct Handler {
  uint8_t vector;
  std::vector<uint8_t> code;
};

/** What the vCPU runs: `code` at kCode, and optionally one interrupt handler. */
struct Program {
  std::vector<uint8_t> code;
  std::optional<Handler> handler;
  /**
   * Run `code` in ring 3 (placed at kUserCode, entered by an iretq at kCode), as the real guest
   * runs its program: a KVM host may run ring 0 only through its instruction emulator (PVM does,
   * docs/kvm.md), which would make a ring-0 loop measure the emulator rather than the exit.
   */
  bool userMode = false;
};

// ---------------------------------------------------------------- programs

/** `L: mov eax, [address]; jmp L`: one MMIO read exit per iteration. `address` < 2^31. */
Program mmioReadLoop(uint32_t address, bool userMode = false);

/**
 * The KVM layer's test sequence:
 *   mov eax, [kMmio]; mov [kMmio + 4], eax; mov dx, kDonePort; out dx, eax; lidt [kIdtr];
 *   sti; hlt; cli; hlt; jmp $
 * with a handler for `vector`: mov eax, vector; mov dx, kEoiPort; out dx, eax; iretq.
 */
Program testSequence(uint8_t vector);

/**
 * Waits for interrupts forever: `lidt [kIdtr]; sti; L: hlt; jmp L`, with a handler for `vector`
 * that reports it (mov eax, vector; mov dx, kEoiPort; out dx, eax; iretq). Each delivery gives
 * one IoOut exit on kEoiPort; between deliveries the vCPU exits on HLT.
 */
Program haltLoop(uint8_t vector);

/** `jmp $`: never exits on its own (only a kick or the slice timer ends KVM_RUN). */
Program spin();

// ---------------------------------------------------------------- the machine

/**
 * Guest RAM with page tables, GDT and IDTR built, and a program loaded. The RAM is registered as
 * memory slot 0 at guest-physical 0 of `vm` when attach() is called; the vm must drop its slots
 * (removeAllMemory or destruction) before this object goes, so declare the vm after it.
 */
class TinyGuest {
 public:
  explicit TinyGuest(const Program& program);

  /** Replaces the code at kCode (the handler and IDT stay). */
  void loadCode(const std::vector<uint8_t>& code) { ram_.put(kCode, code); }
  void loadCode(std::initializer_list<uint8_t> code) { ram_.put(kCode, code); }
  /** Registers the RAM with `vm` at guest-physical 0 (read-write). */
  void attach(KvmVm& vm) { vm.addMemory(0, ram_.size(), ram_.bytes(), false); }
  /** Where a vCPU starts: kCode in long mode, stack at kStackTop. */
  LongModeEntry entry() const;
  GuestRam& ram() { return ram_; }

 private:
  GuestRam ram_;
};
}  // namespace pvg::kvm::tiny
