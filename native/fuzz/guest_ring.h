// The guest driver's side of the ring (docs/protocol.md §1-2): start it, write command words at
// the tail (wrapping at the payload end), ring the doorbell. Words are written only while the
// engine is quiescent (Rig::doorbell waits), as a well-behaved guest's would be.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "rig.h"

namespace pvg::fuzz {
class GuestRing {
 public:
  explicit GuestRing(Rig& rig) : rig_(rig) {}

  // Zeroes the ring memory, programs the registers and starts it; false if the engine refused.
  bool start(uint64_t gpa, uint32_t bytes) {
    std::memset(rig_.ram(gpa), 0, bytes);
    rig_.setReg(P::RegRingGpaLo, static_cast<uint32_t>(gpa));
    rig_.setReg(P::RegRingGpaHi, static_cast<uint32_t>(gpa >> 32));
    rig_.setReg(P::RegRingSize, bytes);
    rig_.setReg(P::RegRingControl, 1);
    gpa_ = gpa;
    payload_ = (rig_.reg(P::RegStatus) & P::StatusRunning) != 0 ? bytes - P::kRingHeaderBytes : 0;
    head_ = tail_ = 0;
    dirty_ = false;
    return payload_ != 0;
  }
  // The ring was stopped (RESET): nothing more can be queued until start().
  void stopped() { payload_ = 0; }

  bool running() const { return payload_ != 0; }
  uint32_t payload() const { return payload_; }
  uint32_t tail() const { return tail_; }
  uint32_t space() const { return payload_ == 0 ? 0 : payload_ - 4 - (tail_ + payload_ - head_) % payload_; }

  // Queues words at the tail, ringing first if there is not room; false if they cannot fit.
  bool put(std::span<const uint32_t> words) {
    if (payload_ == 0) return false;
    const uint64_t bytes = words.size() * 4;
    if (bytes > space()) ring();
    if (bytes > space()) return false;
    // At most two copies: up to the payload's end, then the rest from its start.
    uint8_t* payload = rig_.ram(gpa_) + P::kRingHeaderBytes;
    const uint64_t first = std::min<uint64_t>(bytes, payload_ - tail_);
    if (first != 0) std::memcpy(payload + tail_, words.data(), first);  // (no copy from an empty span's null)
    if (bytes > first) std::memcpy(payload, words.data() + first / 4, bytes - first);
    tail_ = static_cast<uint32_t>((tail_ + bytes) % payload_);
    dirty_ = true;
    return true;
  }

  // Rings the doorbell for what was queued and waits until the engine is done with it.
  void ring() {
    if (payload_ == 0 || !dirty_) return;
    dirty_ = false;
    rig_.doorbell(tail_, payload_);
    head_ = tail_;  // Rig::doorbell returned: the engine consumed up to the tail
  }
  // Rings for only the first `words` queued words (a doorbell that may split a command).
  void ringPart(uint32_t words) {
    if (payload_ == 0 || !dirty_) return;
    const uint32_t queued = (tail_ + payload_ - head_) % payload_ / 4;
    if (words >= queued) return ring();
    head_ = (head_ + 4 * words) % payload_;
    rig_.doorbell(head_, payload_);
  }
  // Queues NOPs up to `before` bytes short of the payload's end, so the next command wraps.
  void padToEnd(uint32_t before) {
    if (payload_ == 0) return;
    for (int i = 0; i < 64 && payload_ - tail_ > before + 4; ++i) {
      const uint32_t words = std::min<uint32_t>((payload_ - tail_ - before) / 4, P::kMaxCommandWords);
      std::vector<uint32_t> nop(words, 0);
      nop[0] = (words << 16) | P::OpNop;
      if (!put(nop)) return;
    }
  }

 private:
  Rig& rig_;
  uint64_t gpa_ = 0;
  uint32_t payload_ = 0, head_ = 0, tail_ = 0;
  bool dirty_ = false;
};
}  // namespace pvg::fuzz
