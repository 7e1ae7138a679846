// MailboxRef: a non-owning view over a mailbox SAB (docs/shared-memory.md, "Mailbox"). Many
// producers (native or JS) and one consumer (a thread, or a JS event loop: park mode EventLoop); a full mailbox makes producers wait (never drops),
// a closed one refuses them. Every word is accessed through std::atomic_ref.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/deadline.h"
#include "core/mailbox_layout.h"
#include "core/spin_gate.h"

namespace pvg {
struct MailboxRecord {
  uint32_t kind = 0;
  std::array<uint32_t, mailbox::kRecordArgs> args{};
};

enum class EnqueueResult { Ok, Closed, TimedOut, TooManyArgs };

class MailboxRef {
 public:
  using Record = MailboxRecord;

  // nullopt unless words hold a mailbox header that agrees with lengthWords.
  static std::optional<MailboxRef> attach(int32_t* words, size_t lengthWords);
  // Lays out an empty open mailbox, as the TypeScript creator does (native tests, native owners).
  static bool initialize(int32_t* words, size_t lengthWords, uint32_t capacity);

  uint32_t capacity() const { return mask_ + 1; }

  // Producer side, any thread. timeoutNs < 0 waits as long as the mailbox stays full and open;
  // otherwise it counts from the first time this call finds the mailbox full (after a short spin).
  EnqueueResult enqueue(uint32_t kind, std::span<const uint32_t> args, int64_t timeoutNs = -1);

  // Consumer side: exactly one consumer thread at a time.
  bool tryDequeue(Record& out);
  // Spins spinBudget times (if the gate has a place), then parks on the doorbell. false: timed
  // out, or closed and empty.
  bool dequeueWait(Record& out, int spinBudget, int64_t timeoutNs, const SpinGate& gate = SpinGate{});

  // Supervisor side: refuse further enqueues; release the parked consumer and waiting producers.
  void close(int32_t reason);
  // Wakes the consumer if (and only if) it is parked.
  void ring();

  bool isClosed() const;
  int32_t closeReason() const;
  uint64_t dequeuedTotal() const;
  uint32_t consumerParks() const;
  uint32_t producerWaits() const;
  uint32_t depth() const;  // records enqueued (claimed) and not yet dequeued; a snapshot

 private:
  MailboxRef(int32_t* words, uint32_t mask, bool eventLoopConsumer) : words_(words), mask_(mask), eventLoopConsumer_(eventLoopConsumer) {}
  std::atomic_ref<int32_t> word(uint32_t index) const { return std::atomic_ref<int32_t>(words_[index]); }
  int32_t* slot(uint32_t position) const { return words_ + mailbox::kHeaderWords + size_t{position & mask_} * mailbox::kRecordWords; }
  void waitNotFull(uint32_t position, const Deadline& deadline);
  void wakeConsumer(int count);

  int32_t* words_;
  uint32_t mask_;
  bool eventLoopConsumer_;  // park mode EventLoop: the consumer is woken through its eventfd (core/event_loop_doorbell.h)
};
}  // namespace pvg
