// What the IOSurface window must read as, per docs/protocol.md §4, tracked from the accesses the
// harness makes: each write is applied here too, and every read is compared with the model.
// Whether the host accepts a map is the host's decision: the model takes it from the fake host.
#pragma once
#include <array>
#include <cstdint>

#include "core/guest_memory.h"
#include "abi/protocol.h"
#include "check.h"

namespace pvg::fuzz {
namespace P = engine::proto;

class IosfcModel {
 public:
  struct Surface {
    uint64_t gpa = 0;
    uint32_t width = 0, height = 0, stride = 0, flags = 0;
    bool mapped = false;
  };
  explicit IosfcModel(const GuestMemoryView& guest) : guest_(guest) {}

  void reset() {
    surfaces_ = {};
    select_ = errorCode_ = irqStatus_ = irqMask_ = 0;
  }

  // A 4-byte write the engine took (hostMapped: the fake host's mapped bits afterwards).
  void write(uint32_t offset, uint32_t value, uint32_t hostMapped) {
    Surface& s = surfaces_[select_];
    switch (offset) {
      case P::IosfcErrorAck:
        errorCode_ = 0;
        return;
      case P::IosfcSurface:
        if (value < P::kIosfcSurfaces)
          select_ = value;
        else
          fail(P::Error::BadSurface);
        return;
      case P::IosfcGpaLo:
        if (!s.mapped) s.gpa = (s.gpa & ~0xFFFFFFFFull) | value;
        return;
      case P::IosfcGpaHi:
        if (!s.mapped) s.gpa = (s.gpa & 0xFFFFFFFFull) | (uint64_t{value} << 32);
        return;
      case P::IosfcWidth:
        if (!s.mapped) s.width = value;
        return;
      case P::IosfcHeight:
        if (!s.mapped) s.height = value;
        return;
      case P::IosfcStride:
        if (!s.mapped) s.stride = value;
        return;
      case P::IosfcFlags:
        if (!s.mapped) s.flags = value & 1;
        return;
      case P::IosfcIrqAck:
        irqStatus_ &= ~value;
        return;
      case P::IosfcIrqMask:
        irqMask_ = value & 1;
        return;
      case P::IosfcCommand:
        return command(value, (hostMapped >> select_) & 1);
      default:
        return;  // read-only or no register: ignored
    }
  }

  // The value a 4-byte read of `offset` must return.
  uint32_t expected(uint32_t offset) const {
    const Surface& s = surfaces_[select_];
    switch (offset) {
      case P::IosfcId:
        return P::kIosfcId;
      case P::IosfcStatus:
        return P::StatusReady | (errorCode_ != 0 ? uint32_t{P::StatusError} : 0u);
      case P::IosfcErrorCode:
        return errorCode_;
      case P::IosfcSurface:
        return select_;
      case P::IosfcGpaLo:
        return static_cast<uint32_t>(s.gpa);
      case P::IosfcGpaHi:
        return static_cast<uint32_t>(s.gpa >> 32);
      case P::IosfcWidth:
        return s.width;
      case P::IosfcHeight:
        return s.height;
      case P::IosfcStride:
        return s.stride;
      case P::IosfcFlags:
        return s.flags;
      case P::IosfcMapped:
        return mappedBits();
      case P::IosfcIrqStatus:
        return irqStatus_;
      case P::IosfcIrqMask:
        return irqMask_;
      default:
        return 0;
    }
  }
  void checkRead(uint32_t offset, uint32_t got) const {
    FUZZ_CHECK(got == expected(offset), "iosfc register 0x%x read 0x%x, the protocol says 0x%x", offset, got, expected(offset));
  }

  uint32_t mappedBits() const {
    uint32_t bits = 0;
    for (uint32_t i = 0; i < P::kIosfcSurfaces; ++i) bits |= surfaces_[i].mapped ? 1u << i : 0;
    return bits;
  }
  const Surface& surface(uint32_t index) const { return surfaces_[index]; }
  uint32_t selected() const { return select_; }

 private:
  void fail(P::Error e) {
    if (errorCode_ == 0) errorCode_ = static_cast<uint32_t>(e);
  }
  // COMMAND: 1 maps the selected surface if its geometry is valid and lies in guest memory
  // (then the host decides), 2 unmaps it, anything else is a bad-surface error.
  void command(uint32_t value, bool hostMapped) {
    Surface& s = surfaces_[select_];
    if (value == 1) {
      const uint64_t length = uint64_t{s.stride} * s.height;
      const bool ok = !s.mapped && s.width > 0 && s.height > 0 && s.width <= P::kIosfcMaxDimension && s.height <= P::kIosfcMaxDimension &&
                      s.stride >= 4ull * s.width && guest_.translate(s.gpa, length, GuestAccess::Read).ok();
      if (!ok) return fail(P::Error::BadSurface);
      if (!hostMapped) return fail(P::Error::HostRefused);
      s.mapped = true;
    } else if (value == 2) {
      if (!s.mapped) return fail(P::Error::BadSurface);
      s.mapped = false;
    } else {
      return fail(P::Error::BadSurface);
    }
    irqStatus_ |= 1;
  }

  const GuestMemoryView& guest_;
  std::array<Surface, P::kIosfcSurfaces> surfaces_{};
  uint32_t select_ = 0, errorCode_ = 0, irqStatus_ = 0, irqMask_ = 0;
};
}  // namespace pvg::fuzz
