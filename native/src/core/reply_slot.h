// ReplyTableRef: a non-owning view over a reply-slot table (docs/shared-memory.md, "Reply
// slots"). A requester owns a slot and waits in it for exactly one answer; a responder answers
// by (slot, request id). The state word is the futex word the requester parks on. A responder
// holds the slot in the claimed state while it checks the id and writes the values, so a stale
// answer can never land in a newer request.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/reply_layout.h"

namespace pvg {
enum class ReplyStatus { Replied, Error, TimedOut, Idle, BadSlot };

struct ReplyResult {
  ReplyStatus status = ReplyStatus::BadSlot;
  int32_t errorCode = 0;
  std::array<uint32_t, reply::kValueWords> values{};
  bool parked = false;  // the requester had to futex-wait (for tests and metrics)
};

class ReplyTableRef {
 public:
  static std::optional<ReplyTableRef> attach(int32_t* words, size_t lengthWords);
  // Lays out an empty table, as the TypeScript creator does (native tests, native owners).
  static bool initialize(int32_t* words, size_t lengthWords, uint32_t slots, uint32_t payloadBytes);

  uint32_t slotCount() const { return slots_; }
  uint32_t payloadBytes() const { return slotWords_ * 4 - reply::kHeaderBytes; }

  // Requester. Arms the slot for a new request (state = pending) before it is posted: waits out
  // a responder holding the slot, stores the id, copies the payload (if any). false: bad slot
  // or payload larger than the slot's.
  bool begin(uint32_t slot, uint32_t requestId, std::span<const uint8_t> payload = {});
  // begin() with the id after the slot's previous one (what the TS requester does).
  std::optional<uint32_t> beginNext(uint32_t slot, std::span<const uint8_t> payload = {});
  // Spins, then parks. Replied/Error return the slot to idle; TimedOut leaves it pending (wait
  // again, or cancel()); Idle means nothing was pending.
  ReplyResult wait(uint32_t slot, int spinBudget, int64_t timeoutNs);
  // pending -> idle after a timeout; false if an answer arrived meanwhile (wait() collects it).
  bool cancel(uint32_t slot);

  // Responder. false (ignored): bad slot, stale id, not pending, or too many values.
  bool reply(uint32_t slot, uint32_t requestId, std::span<const uint32_t> values);
  bool fail(uint32_t slot, uint32_t requestId, int32_t errorCode);
  // Supervisor: fails every pending request with errorCode; returns how many.
  uint32_t failAllPending(int32_t errorCode);

  // The slot's payload bytes; empty for a bad slot. Ordered by the state word like the values.
  std::span<uint8_t> payload(uint32_t slot) const;
  int32_t state(uint32_t slot) const;
  uint32_t requestId(uint32_t slot) const;

 private:
  ReplyTableRef(int32_t* words, uint32_t slots, uint32_t slotWords) : words_(words), slots_(slots), slotWords_(slotWords) {}
  int32_t* slotBase(uint32_t slot) const { return words_ + (size_t{slot} + 1) * slotWords_; }
  bool claim(int32_t* s, uint32_t requestId);
  void finish(int32_t* s, int32_t finalState);

  int32_t* words_;
  uint32_t slots_;
  uint32_t slotWords_;
};
}  // namespace pvg
