// Reference measurements for `bench kvm` (bench/suites/kvm.ts), on the tiny guest (tiny_guest.h)
// and the same KvmVcpu the vCPU actor uses:
//
// - rawExitBench: the bare KVM exit round trip. The guest reads a do-nothing MMIO address in a
//   loop; the host answers each read at once in C++ (completeRead(0)) and enters again. One
//   sample is host → KVM_RUN → guest → MMIO exit → host: what every MMIO access costs before
//   any of our own handling.
// - injectBench: interrupt delivery → the guest's handler. A deliverer (the calling thread) sets
//   the vector's pending bit in the vCPU's interrupt state exactly as shared/irq/vcpu-irq.ts
//   deliver() does (bit, sequence++, futex wake if parked, kick if a thread is published); the
//   vCPU thread, halted in between (HLT exit → spin, then futex wait on the sequence word, like
//   the JS waitForInterrupt), injects it on its next entry, and the guest's handler reports
//   the vector on port 0x500. One sample is delivery start → that exit reaching the host.
//
// Each runs its vCPU on a thread of its own (joined before returning), so the caller's signal
// mask is untouched. Throws KvmError when KVM cannot be used or the guest misbehaves.
#pragma once
#include <cstdint>
#include <vector>

namespace pvg::kvm {
struct RawExitBenchOptions {
  /** Exits before the timed ones (not returned). */
  uint32_t warmup = 1000;
};

/** `iterations` round-trip times in µs, in the order measured. */
std::vector<double> rawExitBench(uint32_t iterations, const RawExitBenchOptions& options = {});

struct InjectBenchOptions {
  /** Deliveries before the timed ones (not returned). */
  uint32_t warmup = 20;
  /** The gap before each delivery (after the previous one was handled) is uniform in [min, max] µs. */
  uint32_t minGapUs = 50;
  uint32_t maxGapUs = 500;
  uint64_t seed = 1;
  /** Sequence checks the halted vCPU makes before it parks (shared/irq/vcpu-irq.ts DEFAULT_HALT_SPIN). */
  uint32_t haltSpin = 2000;
  /** A delivery not handled in this long fails the run. */
  uint32_t timeoutMs = 5000;
};

struct InjectBenchResult {
  /** Delivery start → the handler's exit reached the host, µs, one per timed delivery. */
  std::vector<double> latenciesUs;
  /** Timed deliveries that found the vCPU parked in its futex (the rest: spinning or in KVM_RUN). */
  uint32_t parked = 0;
  /** Timed deliveries that kicked the vCPU out of KVM_RUN. */
  uint32_t kicked = 0;
};

InjectBenchResult injectBench(uint32_t iterations, const InjectBenchOptions& options = {});
}  // namespace pvg::kvm
