// The KVM vCPU layer on a tiny hand-assembled long-mode guest: each exit kind reaches the
// caller with the right details, a read's value reaches the guest, interrupts are injected from
// the interrupt-state words, and kicks (another thread, the slice timer) end KVM_RUN even in a
// loop that never exits. Runs under ASan/UBSan and TSan too; skipped, with the reason printed,
// where /dev/kvm cannot be used.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "abi/vcpu_irq_layout.h"
#include "harness.h"
#include "testing/kvm/exit_bench.h"
#include "kvm/kvm_vcpu.h"
#include "kvm/kvm_vm.h"
#include "testing/kvm/tiny_guest.h"

namespace {
using namespace pvg::kvm;
using tiny::kCode;
using tiny::kMmio;
using tiny::kRamBytes;
constexpr uint32_t kVector = 40;

bool kvmUsable() {
  Availability a = probe();
  if (!a.ok) std::printf("  (skipped: %s)\n", a.reason.c_str());
  return a.ok;
}

// The tiny guest (kvm/tiny_guest.h) running `program` (by default the test sequence:
//   mov eax, [kMmio]; mov [kMmio + 4], eax; mov dx, 0x504; out dx, eax; lidt [kIdtr];
//   sti; hlt; cli; hlt; jmp $   (the handler: mov eax, 40; mov dx, 0x500; out dx, eax; iretq)),
// its RAM registered with a fresh VM.
struct Machine {
  tiny::TinyGuest guest;
  std::shared_ptr<KvmVm> vm = std::make_shared<KvmVm>();  // after the guest: slots go before its RAM
  int32_t irq[pvg::irq::kWords] = {};
  explicit Machine(const tiny::Program& program = tiny::testSequence(kVector)) : guest(program) { guest.attach(*vm); }
  LongModeEntry entry() const { return guest.entry(); }
};

// Runs until an exit of `kind`; kicks, interrupt windows and (when asked) HLTs are passed over,
// any other exit is returned as it is.
VcpuExit runUntil(KvmVcpu& v, ExitKind kind, bool passHalts = false, int limit = 1000) {
  for (int i = 0; i < limit; ++i) {
    VcpuExit e = v.run();
    if (e.kind == kind) return e;
    bool passOver = e.kind == ExitKind::Interrupted || e.kind == ExitKind::InterruptWindow || (passHalts && e.kind == ExitKind::Halt);
    if (!passOver) return e;
  }
  return VcpuExit{};
}
}  // namespace

PVG_TEST("kvm: MMIO reads and writes, port output and HLT reach the caller with their details") {
  if (!kvmUsable()) return;
  Machine m;
  KvmVcpu v(m.vm, 0, m.irq, 0);
  v.enterLongMode(m.entry());
  VcpuExit e = runUntil(v, ExitKind::MmioRead);
  PVG_REQUIRE(e.kind == ExitKind::MmioRead);
  PVG_CHECK(e.address == kMmio && e.size == 4);
  v.completeRead(0xfeed'beef);
  e = runUntil(v, ExitKind::MmioWrite);
  PVG_REQUIRE(e.kind == ExitKind::MmioWrite);
  PVG_CHECK(e.address == kMmio + 4 && e.size == 4 && e.value == 0xfeed'beef);  // the read's value reached the guest
  e = runUntil(v, ExitKind::IoOut);
  PVG_REQUIRE(e.kind == ExitKind::IoOut);
  PVG_CHECK(e.address == 0x504 && e.size == 4 && e.value == 0xfeed'beef);
  e = runUntil(v, ExitKind::Halt);
  PVG_CHECK(e.kind == ExitKind::Halt);
}

PVG_TEST("kvm: a pending vector is injected once the guest enables interrupts, and its handler runs") {
  if (!kvmUsable()) return;
  Machine m;
  KvmVcpu v(m.vm, 0, m.irq, 0);
  v.enterLongMode(m.entry());
  PVG_REQUIRE(runUntil(v, ExitKind::MmioRead).kind == ExitKind::MmioRead);
  v.completeRead(0);
  PVG_REQUIRE(runUntil(v, ExitKind::MmioWrite).kind == ExitKind::MmioWrite);
  PVG_REQUIRE(runUntil(v, ExitKind::IoOut).kind == ExitKind::IoOut);
  // Pending before the guest's sti: the vCPU asks for an interrupt window (the guest may reach
  // its hlt first, in the sti shadow), then injects.
  std::atomic_ref<int32_t>(m.irq[pvg::irq::kPendingWord + kVector / 32]).fetch_or(1 << (kVector % 32));
  VcpuExit e = runUntil(v, ExitKind::IoOut, true);
  PVG_REQUIRE(e.kind == ExitKind::IoOut);
  PVG_CHECK(e.address == 0x500 && e.value == kVector);
  PVG_CHECK(v.injections() == 1);
  PVG_CHECK(m.irq[pvg::irq::kPendingWord + kVector / 32] == 0);  // taken
  // After iretq the guest resumes at hlt (the interrupt woke it), then cli; hlt.
  PVG_CHECK(runUntil(v, ExitKind::Halt).kind == ExitKind::Halt);
}

PVG_TEST("kvm: a kick at any moment around KVM_RUN ends it; none is lost (300 rounds, random timing)") {
  if (!kvmUsable()) return;
  Machine m(tiny::spin());  // jmp $: never exits on its own
  KvmVcpu v(m.vm, 0, m.irq, 0);
  v.enterLongMode(m.entry());
  constexpr int kRounds = 300;
  std::atomic<int> requested{0}, sent{0};
  std::atomic<bool> finished{false}, rescued{false};
  // One kick per round, after a random delay: it lands before, during or just after the
  // vCPU enters KVM_RUN. A lost kick leaves the round running forever: the watchdog notices.
  std::thread kicker([&] {
    uint32_t seed = 0x9e37'79b9u;
    for (int r = 1; r <= kRounds; ++r) {
      while (requested.load() < r) std::this_thread::yield();
      seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
      std::this_thread::sleep_for(std::chrono::microseconds(seed % 300));
      sent.store(r);  // before the signal, so the round it ends knows it was ours
      kickThread(v.thread());
    }
  });
  std::thread watchdog([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!finished.load()) {
      if (std::chrono::steady_clock::now() > deadline) {
        rescued.store(true);
        kickThread(v.thread());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  for (int r = 1; r <= kRounds; ++r) {
    requested.store(r);
    // A return before this round's kick (an earlier kick still pending) just runs again.
    while (!(v.run().kind == ExitKind::Interrupted && sent.load() >= r)) {
    }
  }
  finished.store(true);
  kicker.join();
  watchdog.join();
  PVG_CHECK(!rescued.load());
  PVG_CHECK(m.irq[pvg::irq::kKickThreadWord] == 0);  // not published outside KVM_RUN
}

PVG_TEST("kvm: the slice timer ends KVM_RUN regularly without any kick") {
  if (!kvmUsable()) return;
  Machine m(tiny::spin());
  KvmVcpu v(m.vm, 0, m.irq, 5);
  v.enterLongMode(m.entry());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) PVG_CHECK(v.run().kind == ExitKind::Interrupted);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  PVG_CHECK(ms < 2000);  // ten 5 ms slices; generous for sanitizers and a loaded machine
  // Each return took its kick: the next entry runs until the next tick instead of returning at
  // once (a kick left pending would make every later entry return immediately: thousands here).
  int returns = 0;
  start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(100)) {
    if (v.run().kind == ExitKind::Interrupted) ++returns;
  }
  PVG_CHECK(returns >= 1);
  PVG_CHECK(returns <= 60);  // 20 ticks at most, a few late ones coalesced or early
}

PVG_TEST("kvm: a write to a read-only slot exits as an MMIO write the caller can recognise") {
  if (!kvmUsable()) return;
  tiny::GuestRam rom;  // before the machine: the VM's slots go before this memory
  Machine m;
  m.vm->addMemory(0x100'0000, kRamBytes, rom.bytes(), true);
  // mov dword [0x1000000], eax; hlt
  m.guest.loadCode({0x89, 0x04, 0x25, 0x00, 0x00, 0x00, 0x01, 0xf4});
  KvmVcpu v(m.vm, 0, m.irq, 0);
  v.enterLongMode(m.entry());
  VcpuExit e = runUntil(v, ExitKind::MmioWrite);
  PVG_REQUIRE(e.kind == ExitKind::MmioWrite);
  PVG_CHECK(e.address == 0x100'0000 && v.inReadOnlySlot(e.address));
  PVG_CHECK(!v.inReadOnlySlot(kMmio));
}

PVG_TEST("kvm: bad memory slots are refused with a message, not a crash") {
  if (!kvmUsable()) return;
  tiny::GuestRam ram;
  KvmVm vm;
  bool threw = false;
  try {
    vm.addMemory(0x1001, 4096, ram.bytes(), false);
  } catch (const KvmError&) {
    threw = true;
  }
  PVG_CHECK(threw);
  vm.addMemory(0, kRamBytes, ram.bytes(), false);
  threw = false;
  try {
    vm.addMemory(0x1000, 4096, ram.bytes(), false);  // overlaps
  } catch (const KvmError&) {
    threw = true;
  }
  PVG_CHECK(threw);
  PVG_CHECK(!probe("/nonexistent/kvm").ok);
}

PVG_TEST("kvm tiny guest: the MMIO read loop exits on every read at its address, and the halt loop reports each vector") {
  if (!kvmUsable()) return;
  {
    Machine m(tiny::mmioReadLoop(0x3000'0000));
    KvmVcpu v(m.vm, 0, m.irq, 0);
    v.enterLongMode(m.entry());
    for (int i = 0; i < 5; ++i) {
      VcpuExit e = runUntil(v, ExitKind::MmioRead);
      PVG_REQUIRE(e.kind == ExitKind::MmioRead);
      PVG_CHECK(e.address == 0x3000'0000 && e.size == 4);
      v.completeRead(i);
    }
  }
  Machine m(tiny::haltLoop(kVector));
  KvmVcpu v(m.vm, 0, m.irq, 0);
  v.enterLongMode(m.entry());
  for (int i = 0; i < 3; ++i) {
    PVG_REQUIRE(runUntil(v, ExitKind::Halt).kind == ExitKind::Halt);
    std::atomic_ref<int32_t>(m.irq[pvg::irq::kPendingWord + kVector / 32]).fetch_or(1 << (kVector % 32));
    VcpuExit e = runUntil(v, ExitKind::IoOut);
    PVG_REQUIRE(e.kind == ExitKind::IoOut);
    PVG_CHECK(e.address == tiny::kEoiPort && e.value == kVector);
  }
  PVG_CHECK(v.injections() == 3);
}

PVG_TEST("kvm bench: the raw exit round trip gives one positive sample per iteration") {
  if (!kvmUsable()) return;
  std::vector<double> samples = rawExitBench(300, RawExitBenchOptions{50});
  PVG_CHECK(samples.size() == 300);
  for (double us : samples) PVG_CHECK(us > 0 && us < 1e6);
}

PVG_TEST("kvm bench: interrupt delivery → guest handler gives one positive sample per delivery, the vCPU halted between") {
  if (!kvmUsable()) return;
  InjectBenchOptions o;
  o.warmup = 10;
  o.seed = 7;
  InjectBenchResult r = injectBench(300, o);
  PVG_CHECK(r.latenciesUs.size() == 300);
  for (double us : r.latenciesUs) PVG_CHECK(us > 0 && us < 1e6);
  PVG_CHECK(r.parked <= 300 && r.kicked <= 300);
  PVG_CHECK(r.parked > 0);  // gaps of 50–500 µs outlast the 2000-check spin: most deliveries find it parked
  // Bad options are refused, not run.
  o.minGapUs = 10;
  o.maxGapUs = 5;
  bool threw = false;
  try {
    injectBench(1, o);
  } catch (const KvmError&) {
    threw = true;
  }
  PVG_CHECK(threw);
}

PVG_TEST("kvm: a vCPU entered again takes no interrupt before its new guest enables them") {
  if (!kvmUsable()) return;
  // The first guest halts with interrupts on: the run area now says "can take one".
  Machine m(tiny::haltLoop(kVector));
  KvmVcpu v(m.vm, 0, m.irq, 5);
  v.enterLongMode(m.entry());
  PVG_REQUIRE(runUntil(v, ExitKind::Halt).kind == ExitKind::Halt);
  // A new guest that never enables interrupts, with no IDT to take one through, and a vector
  // already pending: injecting it on the stale "can take one" would triple-fault at the entry.
  m.guest.loadCode(tiny::spin().code);
  std::vector<uint8_t> zeros(4096, 0);
  m.guest.ram().put(tiny::kIdt, zeros);
  std::atomic_ref<int32_t>(m.irq[pvg::irq::kPendingWord + kVector / 32]).fetch_or(1 << (kVector % 32));
  v.enterLongMode(m.entry());
  for (int i = 0; i < 5; ++i) {
    VcpuExit e = v.run();
    PVG_CHECK(e.kind == ExitKind::Interrupted || e.kind == ExitKind::InterruptWindow);
  }
  PVG_CHECK(v.injections() == 0);
}

PVG_TEST("kvm: a state saved after a read exit carries the read into another vCPU, which goes on from the next instruction") {
  if (!kvmUsable()) return;
  Machine a;
  KvmVcpu v(a.vm, 0, a.irq, 0);
  v.enterLongMode(a.entry());
  VcpuExit e = runUntil(v, ExitKind::MmioRead);
  PVG_REQUIRE(e.kind == ExitKind::MmioRead);
  bool refused = false;
  try {
    (void)v.saveState();  // the read is not answered: no boundary to save at
  } catch (const KvmError&) {
    refused = true;
  }
  PVG_CHECK(refused);
  v.completeRead(0x5a5a'1234);
  // The value is handed to the guest only by the next KVM_RUN: saveState must complete it.
  VcpuCpuState s = v.saveState();
  PVG_CHECK(static_cast<uint32_t>(s.regs.rax) == 0x5a5a'1234);
  PVG_CHECK(s.regs.rip != a.entry().rip);

  Machine b;
  KvmVcpu w(b.vm, 0, b.irq, 0);
  w.loadState(s);
  e = runUntil(w, ExitKind::MmioWrite);
  PVG_REQUIRE(e.kind == ExitKind::MmioWrite);
  PVG_CHECK(e.address == kMmio + 4 && e.size == 4 && e.value == 0x5a5a'1234);
  // And the first vCPU, saved, goes on exactly the same way.
  e = runUntil(v, ExitKind::MmioWrite);
  PVG_CHECK(e.kind == ExitKind::MmioWrite && e.value == 0x5a5a'1234);
}

PVG_TEST("kvm: KVM refuses a state it cannot load, and the vCPU stays usable") {
  if (!kvmUsable()) return;
  Machine m;
  KvmVcpu v(m.vm, 0, m.irq, 0);
  v.enterLongMode(m.entry());
  VcpuExit e = runUntil(v, ExitKind::MmioRead);
  PVG_REQUIRE(e.kind == ExitKind::MmioRead);
  v.completeRead(7);
  VcpuCpuState good = v.saveState();
  VcpuCpuState bad = good;
  bad.sregs.efer = 1u << 8;  // LME without LMA while paging is on: kvm_is_valid_sregs refuses it
  bool refused = false;
  try {
    v.loadState(bad);
  } catch (const KvmError&) {
    refused = true;
  }
  PVG_CHECK(refused);
  v.loadState(good);
  e = runUntil(v, ExitKind::MmioWrite);
  PVG_CHECK(e.kind == ExitKind::MmioWrite && e.value == 7);
}
