#include "core/reply_slot.h"

#include <cstring>

#include "core/deadline.h"
#include "core/futex.h"
#include "core/spin.h"

namespace pvg {
using namespace reply;

namespace {
std::atomic_ref<int32_t> ref(int32_t* p) { return std::atomic_ref<int32_t>(*p); }
uint32_t u32(int32_t v) { return static_cast<uint32_t>(v); }
int32_t i32(uint32_t v) { return static_cast<int32_t>(v); }
bool unanswered(int32_t state) { return state == kPending || state == kClaimed; }
// Keeps (slots + 1) * slotBytes well inside 64-bit arithmetic and sane SAB sizes.
constexpr uint32_t kMaxSlots = 1u << 20;
constexpr uint32_t kMaxPayloadBytes = 1u << 24;
bool validShape(uint32_t slots, uint32_t payloadBytes) { return slots > 0 && slots <= kMaxSlots && payloadBytes <= kMaxPayloadBytes && payloadBytes % 4 == 0; }
}  // namespace

std::optional<ReplyTableRef> ReplyTableRef::attach(int32_t* words, size_t lengthWords) {
  if (words == nullptr || lengthWords < kHeaderBytes / 4) return std::nullopt;
  if (ref(words + kTableMagicWord).load() != kMagic) return std::nullopt;
  uint32_t slots = u32(ref(words + kTableSlotCountWord).load());
  uint32_t payload = u32(ref(words + kTablePayloadBytesWord).load());
  if (!validShape(slots, payload)) return std::nullopt;
  if (uint64_t{lengthWords} * 4 < tableBytes(slots, payload)) return std::nullopt;
  return ReplyTableRef(words, slots, static_cast<uint32_t>(slotBytes(payload) / 4));
}

bool ReplyTableRef::initialize(int32_t* words, size_t lengthWords, uint32_t slots, uint32_t payloadBytes) {
  if (words == nullptr || !validShape(slots, payloadBytes)) return false;
  uint64_t bytes = tableBytes(slots, payloadBytes);
  if (uint64_t{lengthWords} * 4 < bytes) return false;
  for (uint64_t i = 0; i < bytes / 4; ++i) ref(words + i).store(0);
  ref(words + kTableSlotCountWord).store(i32(slots));
  ref(words + kTablePayloadBytesWord).store(i32(payloadBytes));
  ref(words + kTableMagicWord).store(kMagic);  // last: a valid magic means a complete header
  return true;
}

bool ReplyTableRef::begin(uint32_t slot, uint32_t requestId, std::span<const uint8_t> payload) {
  if (slot >= slots_ || payload.size() > payloadBytes()) return false;
  int32_t* s = slotBase(slot);
  auto state = ref(s + kStateWord);
  // Take the slot to idle, waiting out a (stale) responder that holds it claimed.
  for (Backoff backoff;; backoff.pause()) {
    int32_t now = state.load();
    if (now != kClaimed && state.compare_exchange_weak(now, kIdle)) break;
  }
  ref(s + kRequestIdWord).store(i32(requestId));
  ref(s + kErrorCodeWord).store(0);
  ref(s + kParkedWord).store(0);
  if (!payload.empty()) std::memcpy(reinterpret_cast<uint8_t*>(s) + kHeaderBytes, payload.data(), payload.size());
  state.store(kPending);  // last: responders act only on pending
  return true;
}

std::optional<uint32_t> ReplyTableRef::beginNext(uint32_t slot, std::span<const uint8_t> payload) {
  if (slot >= slots_) return std::nullopt;
  uint32_t id = u32(ref(slotBase(slot) + kRequestIdWord).load()) + 1;
  if (!begin(slot, id, payload)) return std::nullopt;
  return id;
}

ReplyResult ReplyTableRef::wait(uint32_t slot, int spinBudget, int64_t timeoutNs) {
  ReplyResult result;
  if (slot >= slots_) return result;
  int32_t* s = slotBase(slot);
  auto state = ref(s + kStateWord);
  auto parked = ref(s + kParkedWord);
  int32_t now = state.load();
  for (int i = 0; i < spinBudget && unanswered(now); ++i) {
    cpuRelax();
    now = state.load();
  }
  if (unanswered(now)) {
    Deadline deadline(timeoutNs);
    // Raise the flag, then re-check: a responder that finished before seeing the flag is
    // caught by the load; one that finishes after it sees the flag and wakes us.
    parked.store(1);
    Backoff backoff;
    while (unanswered(now = state.load())) {
      if (deadline.expired()) {
        parked.store(0);
        result.status = ReplyStatus::TimedOut;
        return result;
      }
      if (now == kClaimed) {
        backoff.pause();  // a responder is mid-answer: a few instructions
        continue;
      }
      result.parked = true;
      futexWait(s + kStateWord, kPending, deadline.remainingNs());
    }
    parked.store(0);
  }
  if (now == kReplied) {
    result.status = ReplyStatus::Replied;
    for (uint32_t i = 0; i < kValueWords; ++i) result.values[i] = u32(ref(s + kValuesWord + i).load(std::memory_order_relaxed));
  } else if (now == kError) {
    result.status = ReplyStatus::Error;
    result.errorCode = ref(s + kErrorCodeWord).load();
  } else {
    result.status = ReplyStatus::Idle;
    return result;
  }
  state.store(kIdle);  // answered: a late duplicate finds nothing pending
  return result;
}

bool ReplyTableRef::cancel(uint32_t slot) {
  if (slot >= slots_) return false;
  auto state = ref(slotBase(slot) + kStateWord);
  for (Backoff backoff;; backoff.pause()) {  // a claiming responder either answers or puts pending back
    int32_t expected = kPending;
    if (state.compare_exchange_strong(expected, kIdle)) return true;
    if (expected != kClaimed) return false;  // answered (or idle)
  }
}

bool ReplyTableRef::claim(int32_t* s, uint32_t requestId) {
  auto state = ref(s + kStateWord);
  // Claimed by another responder (a stale one, checking its id): wait for its decision rather
  // than drop this answer.
  for (Backoff backoff;; backoff.pause()) {
    int32_t expected = kPending;
    if (state.compare_exchange_strong(expected, kClaimed)) break;
    if (expected != kClaimed) return false;  // answered already, or nothing pending
  }
  if (u32(ref(s + kRequestIdWord).load()) != requestId) {
    state.store(kPending);  // an answer to an abandoned request: leave the slot as it was
    return false;
  }
  return true;
}

void ReplyTableRef::finish(int32_t* s, int32_t finalState) {
  ref(s + kStateWord).store(finalState);
  if (ref(s + kParkedWord).load() != 0) futexWake(s + kStateWord, 1);
}

bool ReplyTableRef::reply(uint32_t slot, uint32_t requestId, std::span<const uint32_t> values) {
  if (slot >= slots_ || values.size() > kValueWords) return false;
  int32_t* s = slotBase(slot);
  if (!claim(s, requestId)) return false;
  // Relaxed is enough for the body: the seq_cst state store in finish() publishes it.
  for (uint32_t i = 0; i < kValueWords; ++i) {
    ref(s + kValuesWord + i).store(i < values.size() ? i32(values[i]) : 0, std::memory_order_relaxed);
  }
  ref(s + kErrorCodeWord).store(0, std::memory_order_relaxed);
  finish(s, kReplied);
  return true;
}

bool ReplyTableRef::fail(uint32_t slot, uint32_t requestId, int32_t errorCode) {
  if (slot >= slots_) return false;
  int32_t* s = slotBase(slot);
  if (!claim(s, requestId)) return false;
  ref(s + kErrorCodeWord).store(errorCode, std::memory_order_relaxed);
  finish(s, kError);
  return true;
}

uint32_t ReplyTableRef::failAllPending(int32_t errorCode) {
  uint32_t failed = 0;
  for (uint32_t slot = 0; slot < slots_; ++slot) {
    if (fail(slot, requestId(slot), errorCode)) ++failed;
  }
  return failed;
}

std::span<uint8_t> ReplyTableRef::payload(uint32_t slot) const {
  if (slot >= slots_) return {};
  return {reinterpret_cast<uint8_t*>(slotBase(slot)) + kHeaderBytes, payloadBytes()};
}

int32_t ReplyTableRef::state(uint32_t slot) const { return slot < slots_ ? ref(slotBase(slot) + kStateWord).load() : kIdle; }

uint32_t ReplyTableRef::requestId(uint32_t slot) const { return slot < slots_ ? u32(ref(slotBase(slot) + kRequestIdWord).load()) : 0; }
}  // namespace pvg
