// What the gfx window's plain registers must read as (docs/protocol.md §1), tracked from the
// harness's own accesses: constants, registers that read back what was written, the display and
// mode description, and the ring as far as the guest can know it. Registers that move with the
// engine's work (STATUS, errors, interrupts, head, fence) are ErrorWatch's (invariants.h).
#pragma once
#include <cstdint>
#include <optional>

#include "abi/protocol.h"
#include "check.h"
#include "layout.h"
#include "registers.h"

namespace pvg::fuzz {
class GfxModel {
 public:
  // A 4-byte, aligned, in-window write the engine took.
  void write(uint32_t offset, uint32_t value) {
    switch (offset) {
      case P::RegRingGpaLo:
        gpaLo_ = value;
        break;
      case P::RegRingGpaHi:
        gpaHi_ = value;
        break;
      case P::RegRingSize:
        ringSize_ = value;
        break;
      case P::RegIrqMask:
        irqMask_ = value & 7;
        break;
      case P::RegDisplaySelect:
        display_ = value;
        break;
      case P::RegModeSelect:
        mode_ = value;
        break;
      default:
        break;
    }
  }
  // RESET clears the interrupt mask; the ring registers and the selections stay.
  void reset() {
    irqMask_ = 0;
    payload_ = 0;
  }
  // After a RING_CONTROL write: the engine's STATUS says whether a ring runs now.
  void ringControl(bool running) {
    if (running && payload_ == 0) {
      payload_ = ringSize_ - P::kRingHeaderBytes;
      head_ = 0;
    }
    if (!running) payload_ = 0;
  }
  // A doorbell the engine accepted: it consumes up to there.
  void doorbell(uint32_t tail) {
    if (payload_ != 0 && tail < payload_ && tail % 4 == 0) head_ = tail;
  }
  uint32_t payload() const { return payload_; }
  uint32_t head() const { return head_; }

  // The value a 4-byte read must return, or nothing for the registers that move on their own.
  std::optional<uint32_t> expected(uint32_t offset) const {
    switch (offset) {
      case P::RegId:
        return P::kId;
      case P::RegVersion:
        return P::kVersion;
      case P::RegFeatures:
        return kFeatures;
      case P::RegRingGpaLo:
        return gpaLo_;
      case P::RegRingGpaHi:
        return gpaHi_;
      case P::RegRingSize:
        return ringSize_;
      case P::RegIrqMask:
        return irqMask_;
      case P::RegDisplayCount:
        return kDisplays;
      case P::RegDisplaySelect:
        return display_;
      case P::RegModeSelect:
        return mode_;
      case P::RegModeCount:
        return modeCount();
      case P::RegModeWidth:
        return mode_ < modeCount() ? mode().width : 0;
      case P::RegModeHeight:
        return mode_ < modeCount() ? mode().height : 0;
      case P::RegModeRefresh:
        return mode_ < modeCount() ? 60 : 0;
      case P::RegStatus:
      case P::RegErrorCode:
      case P::RegErrorCount:
      case P::RegIrqStatus:
      case P::RegRingControl:
      case P::RegRingHead:
      case P::RegCurrentMode:
      case P::RegFenceCompleted:
        return std::nullopt;
      default:
        return 0;  // write-only registers and offsets that are none read as zero
    }
  }
  void checkRead(uint32_t offset, uint32_t got) const {
    if (const std::optional<uint32_t> want = expected(offset)) {
      FUZZ_CHECK(got == *want, "gfx register 0x%x read 0x%x, the protocol says 0x%x", offset, got, *want);
    } else if (offset == P::RegCurrentMode) {
      FUZZ_CHECK(got == 0xFFFFFFFFu || got < modeCount(), "CURRENT_MODE %u of display %u", got, display_);
    } else if (offset == P::RegRingControl) {
      FUZZ_CHECK(got == (payload_ != 0 ? 1u : 0u), "RING_CONTROL %u with the ring %s", got, payload_ != 0 ? "running" : "stopped");
    } else if (offset == P::RegRingHead && payload_ != 0) {
      FUZZ_CHECK(got == head_, "RING_HEAD %u after the doorbell %u was consumed", got, head_);
    }
  }

 private:
  uint32_t modeCount() const { return display_ == 0 ? kDisplay0Modes.size() : display_ == 1 ? kDisplay1Modes.size() : 0; }
  Mode mode() const { return display_ == 0 ? kDisplay0Modes[mode_] : kDisplay1Modes[mode_]; }

  uint32_t gpaLo_ = 0, gpaHi_ = 0, ringSize_ = 0, irqMask_ = 0, display_ = 0, mode_ = 0;
  uint32_t payload_ = 0, head_ = 0;
};
}  // namespace pvg::fuzz
