// Cheap register-level invariants, checked whenever the engine is quiescent (docs/protocol.md):
//  - ERROR_COUNT only grows until a reset, and by exactly the errors the engine counted by kind;
//  - STATUS.error is set exactly when ERROR_CODE is not 0, and ERROR_CODE is a known code;
//  - only documented bits are ever set; RING_CONTROL mirrors STATUS.running; the head is a
//    valid offset of the running ring;
//  - after RESET every register reads as documented and the host holds no task and no surface.
#pragma once
#include <cstdint>

#include "check.h"
#include "layout.h"
#include "rig.h"

namespace pvg::fuzz {
class ErrorWatch {
 public:
  explicit ErrorWatch(Rig& rig) : rig_(rig), base_(rig.errorTotal()) {}

  // After a RESET: the count starts again from 0.
  void restart() {
    base_ = rig_.errorTotal();
    last_ = 0;
    irqAcked_ = false;
  }

  // payload: the running ring's payload bytes as the harness knows them (0: not known).
  void check(uint32_t payload = 0) {
    const uint32_t count = rig_.reg(P::RegErrorCount);
    const uint64_t counted = rig_.errorTotal() - base_;
    FUZZ_CHECK(count >= last_, "ERROR_COUNT went from %u to %u without a reset", last_, count);
    FUZZ_CHECK(count == (counted > UINT32_MAX ? UINT32_MAX : counted), "ERROR_COUNT %u, but %llu errors counted since the reset", count,
               static_cast<unsigned long long>(counted));
    last_ = count;
    const uint32_t status = rig_.reg(P::RegStatus);
    const uint32_t code = rig_.reg(P::RegErrorCode);
    FUZZ_CHECK((status & ~7u) == 0 && (status & P::StatusReady) != 0, "STATUS 0x%x", status);
    FUZZ_CHECK(((status & P::StatusError) != 0) == (code != 0), "STATUS 0x%x with ERROR_CODE %u", status, code);
    FUZZ_CHECK(code < P::kErrorKinds && (code == 0 || count > 0), "ERROR_CODE %u with ERROR_COUNT %u", code, count);
    const uint32_t irq = rig_.reg(P::RegIrqStatus), mask = rig_.reg(P::RegIrqMask);
    FUZZ_CHECK((irq & ~7u) == 0 && (mask & ~7u) == 0, "IRQ_STATUS 0x%x IRQ_MASK 0x%x", irq, mask);
    FUZZ_CHECK(code == 0 || (irq & P::IrqError) != 0 || irqAcked_, "an error pending without IRQ_STATUS.error");
    const bool running = (status & P::StatusRunning) != 0;
    FUZZ_CHECK(rig_.reg(P::RegRingControl) == (running ? 1u : 0u), "RING_CONTROL disagrees with STATUS 0x%x", status);
    if (running && payload != 0) {
      const uint32_t head = rig_.reg(P::RegRingHead);
      FUZZ_CHECK(head < payload && head % 4 == 0, "RING_HEAD %u in a payload of %u", head, payload);
    }
  }
  // The guest wrote IRQ_ACK: IRQ_STATUS.error may be clear while an error stays pending.
  void irqAcked() { irqAcked_ = true; }
  // The guest wrote ERROR_ACK: the next error sets ERROR_CODE and IRQ_STATUS.error together.
  void errorAcked() { irqAcked_ = false; }

 private:
  Rig& rig_;
  uint64_t base_;
  uint32_t last_ = 0;
  bool irqAcked_ = false;
};

// Everything RESET promises, in both windows and on the host side.
inline void checkAfterReset(Rig& rig) {
  FUZZ_CHECK(rig.reg(P::RegStatus) == P::StatusReady, "STATUS 0x%x after reset", rig.reg(P::RegStatus));
  FUZZ_CHECK(rig.reg(P::RegErrorCode) == 0 && rig.reg(P::RegErrorCount) == 0, "errors left after reset");
  FUZZ_CHECK(rig.reg(P::RegIrqStatus) == 0 && rig.reg(P::RegIrqMask) == 0, "interrupt state left after reset");
  FUZZ_CHECK(rig.reg(P::RegFenceCompleted) == 0 && rig.reg(P::RegRingControl) == 0, "ring state left after reset");
  FUZZ_CHECK(rig.iosfc(P::IosfcStatus) == P::StatusReady && rig.iosfc(P::IosfcErrorCode) == 0, "iosfc error left after reset");
  FUZZ_CHECK(rig.iosfc(P::IosfcMapped) == 0 && rig.iosfc(P::IosfcSurface) == 0, "iosfc surfaces left after reset");
  FUZZ_CHECK(rig.iosfc(P::IosfcIrqStatus) == 0 && rig.iosfc(P::IosfcIrqMask) == 0, "iosfc interrupt state left after reset");
  FUZZ_CHECK(rig.host().liveTasks() == 0, "%zu host tasks alive after reset", rig.host().liveTasks());
  FUZZ_CHECK(rig.host().surfacesMapped() == 0, "host surfaces 0x%x mapped after reset", rig.host().surfacesMapped());
}

// The constant registers.
inline void checkIdentity(Rig& rig) {
  FUZZ_CHECK(rig.reg(P::RegId) == P::kId && rig.reg(P::RegVersion) == P::kVersion, "ID/VERSION");
  FUZZ_CHECK(rig.reg(P::RegFeatures) == kFeatures, "FEATURES 0x%x", rig.reg(P::RegFeatures));
  FUZZ_CHECK(rig.iosfc(P::IosfcId) == P::kIosfcId, "IOSFC ID");
}
}  // namespace pvg::fuzz
