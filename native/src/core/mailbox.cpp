#include "core/mailbox.h"

#include <climits>
#include <optional>

#include "core/event_loop_doorbell.h"
#include "core/futex.h"
#include "core/spin.h"

namespace pvg {
using namespace mailbox;

namespace {
// Positions are u32 and wrap; the words are i32. Compare by signed difference.
uint32_t u32(int32_t v) { return static_cast<uint32_t>(v); }
int32_t i32(uint32_t v) { return static_cast<int32_t>(v); }
int32_t diff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }
std::atomic_ref<int32_t> ref(int32_t* p) { return std::atomic_ref<int32_t>(*p); }
// Capacity 1 would break Vyukov's scheme: a published slot's sequence (pos + 1) would read as
// "free" to the producer of pos + 1. The cap keeps sizes far from overflow.
bool validCapacity(uint32_t v) { return v >= 2 && v <= (1u << 24) && (v & (v - 1)) == 0; }
// Producers re-check a full mailbox this many times before parking, as the TS producers do.
constexpr int kProducerSpins = 64;
}  // namespace

std::optional<MailboxRef> MailboxRef::attach(int32_t* words, size_t lengthWords) {
  if (words == nullptr || lengthWords < kHeaderWords) return std::nullopt;
  if (ref(words + kMagicWord).load() != kMagic) return std::nullopt;
  uint32_t capacity = u32(ref(words + kCapacityWord).load());
  if (!validCapacity(capacity)) return std::nullopt;
  if (u32(ref(words + kRecordWordsWord).load()) != kRecordWords) return std::nullopt;
  // An Atomics.wait-parked mailbox cannot be woken by a native thread: refuse it.
  const int32_t park = ref(words + kParkModeWord).load();
  if (park != kParkModeFutex && park != kParkModeEventLoop) return std::nullopt;
  if (uint64_t{lengthWords} * 4 < bytesFor(capacity)) return std::nullopt;
  return MailboxRef(words, capacity - 1, park == kParkModeEventLoop);
}

bool MailboxRef::initialize(int32_t* words, size_t lengthWords, uint32_t capacity) {
  if (words == nullptr || !validCapacity(capacity)) return false;
  if (uint64_t{lengthWords} * 4 < bytesFor(capacity)) return false;
  for (uint32_t i = 0; i < kHeaderWords; ++i) ref(words + i).store(0);  // park mode 0: futex
  // Vyukov: slot i is free for position i when its sequence equals i.
  for (uint32_t i = 0; i < capacity; ++i) ref(words + kHeaderWords + size_t{i} * kRecordWords).store(i32(i));
  ref(words + kCapacityWord).store(i32(capacity));
  ref(words + kRecordWordsWord).store(i32(kRecordWords));
  ref(words + kMagicWord).store(kMagic);  // last: a valid magic means a complete header
  return true;
}

EnqueueResult MailboxRef::enqueue(uint32_t kind, std::span<const uint32_t> args, int64_t timeoutNs) {
  if (args.size() > kRecordArgs) return EnqueueResult::TooManyArgs;
  // Started when the producer first has to wait, not here: a record that finds room (nearly
  // every one) then costs no clock read.
  std::optional<Deadline> deadline;
  int spins = 0;
  for (;;) {
    if (word(kClosedWord).load() != 0) return EnqueueResult::Closed;
    uint32_t pos = u32(word(kTailWord).load());
    int32_t* rec = slot(pos);
    int32_t d = diff(u32(ref(rec).load()), pos);
    if (d == 0) {
      int32_t expected = i32(pos);
      if (!word(kTailWord).compare_exchange_weak(expected, i32(pos + 1))) continue;
      // Relaxed is enough for the body: the seq_cst sequence store below publishes it.
      ref(rec + 1).store(i32(kind), std::memory_order_relaxed);
      for (uint32_t i = 0; i < kRecordArgs; ++i) {
        ref(rec + 2 + i).store(i < args.size() ? i32(args[i]) : 0, std::memory_order_relaxed);
      }
      ref(rec).store(i32(pos + 1));
      ring();
      return EnqueueResult::Ok;
    }
    if (d < 0) {  // full: back-pressure, never a drop
      if (++spins <= kProducerSpins) {
        cpuRelax();
        continue;
      }
      if (!deadline) deadline.emplace(timeoutNs);
      if (deadline->expired()) return EnqueueResult::TimedOut;
      waitNotFull(pos, *deadline);
    }
    // d > 0: another producer took pos; reload the tail.
  }
}

void MailboxRef::waitNotFull(uint32_t pos, const Deadline& deadline) {
  int32_t seen = word(kNotFullWord).load();
  word(kProducersWaitingWord).fetch_add(1);
  // Re-check after announcing: either the consumer freed the slot before it could see us
  // waiting (and we see it here), or it sees us and bumps not-full (and the futex won't sleep).
  bool stillFull = word(kClosedWord).load() == 0 && diff(u32(ref(slot(pos)).load()), pos) < 0;
  if (stillFull) {
    word(kProducerWaitsWord).fetch_add(1);  // counted when a producer really parks, as in TS
    futexWait(words_ + kNotFullWord, seen, deadline.remainingNs());
  }
  word(kProducersWaitingWord).fetch_sub(1);
}

void MailboxRef::ring() {
  auto state = word(kDoorbellStateWord);
  // Load before exchanging: a running consumer (the common case) then costs producers no
  // exclusive cache-line traffic. Same outcome as an unconditional exchange.
  if (state.load() == kDoorbellParked && state.exchange(kDoorbellRunning) == kDoorbellParked) wakeConsumer(1);
}

void MailboxRef::wakeConsumer(int count) {
  // An event-loop consumer parks in its loop, woken through its eventfd; the futex is the
  // fallback before it published one (it never parks before it has: shared/mailbox/mailbox.ts).
  if (!eventLoopConsumer_ || !ringEventLoop(words_)) futexWake(words_ + kDoorbellStateWord, count);
}

bool MailboxRef::tryDequeue(Record& out) {
  uint32_t head = u32(word(kHeadWord).load());
  int32_t* rec = slot(head);
  if (u32(ref(rec).load()) != head + 1) return false;
  out.kind = u32(ref(rec + 1).load(std::memory_order_relaxed));
  for (uint32_t i = 0; i < kRecordArgs; ++i) out.args[i] = u32(ref(rec + 2 + i).load(std::memory_order_relaxed));
  ref(rec).store(i32(head + capacity()));  // free for the producer one lap ahead
  word(kHeadWord).store(i32(head + 1));
  if (word(kDequeuedLoWord).fetch_add(1) == -1) word(kDequeuedHiWord).fetch_add(1);
  if (word(kProducersWaitingWord).load() > 0) {
    // One slot freed, one producer woken (not a herd): as Mailbox.release in shared/mailbox/mailbox.ts.
    word(kNotFullWord).fetch_add(1);
    futexWake(words_ + kNotFullWord, 1);
  }
  return true;
}

bool MailboxRef::dequeueWait(Record& out, int spinBudget, int64_t timeoutNs, const SpinGate& gate) {
  Deadline deadline(timeoutNs);
  if (spinBudget > 0) {
    if (SpinPlace place(gate); place) {
      for (int i = 0; i < spinBudget; ++i) {
        if (tryDequeue(out)) return true;
        cpuRelax();
      }
    }
  }
  auto state = word(kDoorbellStateWord);
  for (;;) {
    if (tryDequeue(out)) return true;
    if (isClosed() || deadline.expired()) return false;
    state.store(kDoorbellParked);
    // Re-check after announcing the park: a record published before the store is seen here;
    // one published after it finds state == parked and rings.
    if (tryDequeue(out)) {
      state.store(kDoorbellRunning);
      return true;
    }
    if (isClosed()) {
      state.store(kDoorbellRunning);
      return false;
    }
    word(kConsumerParksWord).fetch_add(1);
    futexWait(words_ + kDoorbellStateWord, kDoorbellParked, deadline.remainingNs());
    state.store(kDoorbellRunning);  // after a timeout or spurious wake nobody else reset it
  }
}

void MailboxRef::close(int32_t reason) {
  int32_t open = 0;
  if (word(kClosedWord).load() == 0) word(kCloseReasonWord).store(reason);
  word(kClosedWord).compare_exchange_strong(open, 1);
  // Wake unconditionally: both sides re-check closed after announcing that they sleep.
  word(kDoorbellStateWord).store(kDoorbellRunning);
  wakeConsumer(INT_MAX);
  word(kNotFullWord).fetch_add(1);
  futexWake(words_ + kNotFullWord, INT_MAX);
}

bool MailboxRef::isClosed() const { return word(kClosedWord).load() != 0; }
int32_t MailboxRef::closeReason() const { return word(kCloseReasonWord).load(); }
uint64_t MailboxRef::dequeuedTotal() const {
  // A snapshot: only the consumer writes these, and a carry into hi is not atomic with lo.
  uint32_t lo = u32(word(kDequeuedLoWord).load());
  uint32_t hi = u32(word(kDequeuedHiWord).load());
  return (uint64_t{hi} << 32) | lo;
}
uint32_t MailboxRef::consumerParks() const { return u32(word(kConsumerParksWord).load()); }
uint32_t MailboxRef::producerWaits() const { return u32(word(kProducerWaitsWord).load()); }
uint32_t MailboxRef::depth() const {
  int32_t d = diff(u32(word(kTailWord).load()), u32(word(kHeadWord).load()));
  return d < 0 ? 0 : u32(d);
}
}  // namespace pvg
