// MailboxRef: layout validation, FIFO across u32 wrap, back-pressure, parking, close.
#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include "core/mailbox.h"
#include "harness.h"
#include "test_support.h"

using pvg::EnqueueResult;
using pvg::MailboxRef;
using pvg::test::Rng;
using pvg::test::SharedWords;
namespace mb = pvg::mailbox;

namespace {
size_t wordsFor(uint32_t capacity) { return static_cast<size_t>(mb::bytesFor(capacity) / 4); }

MailboxRef makeMailbox(SharedWords& mem, uint32_t capacity) {
  PVG_REQUIRE(MailboxRef::initialize(mem.data(), mem.length(), capacity));
  auto box = MailboxRef::attach(mem.data(), mem.length());
  PVG_REQUIRE(box.has_value());
  return *box;
}

// Moves an empty mailbox's positions to `start`, to exercise u32 wrap-around.
void startAt(SharedWords& mem, uint32_t capacity, uint32_t start) {
  mem.at(mb::kTailWord).store(static_cast<int32_t>(start));
  mem.at(mb::kHeadWord).store(static_cast<int32_t>(start));
  for (uint32_t i = 0; i < capacity; ++i) {
    uint32_t pos = start + i;
    mem.at(mb::kHeaderWords + size_t{pos & (capacity - 1)} * mb::kRecordWords).store(static_cast<int32_t>(pos));
  }
}

uint32_t checksum(uint32_t producer, uint32_t seq) { return producer * 2654435761u ^ seq; }
}  // namespace

PVG_TEST("mailbox: attach validates magic, capacity, record words and length") {
  SharedWords mem(wordsFor(16));
  PVG_CHECK(!MailboxRef::attach(mem.data(), mem.length()).has_value());  // no magic yet
  PVG_CHECK(!MailboxRef::initialize(mem.data(), mem.length(), 12));      // not a power of two
  PVG_CHECK(!MailboxRef::initialize(mem.data(), mem.length(), 32));      // does not fit
  PVG_CHECK(!MailboxRef::initialize(mem.data(), mem.length(), 1));       // Vyukov needs >= 2
  PVG_REQUIRE(MailboxRef::initialize(mem.data(), mem.length(), 16));
  PVG_CHECK(MailboxRef::attach(mem.data(), mem.length()).has_value());
  PVG_CHECK(!MailboxRef::attach(mem.data(), mem.length() - 1).has_value());
  PVG_CHECK(!MailboxRef::attach(nullptr, mem.length()).has_value());
  mem.at(mb::kCapacityWord).store(12);
  PVG_CHECK(!MailboxRef::attach(mem.data(), mem.length()).has_value());
  mem.at(mb::kCapacityWord).store(16);
  mem.at(mb::kRecordWordsWord).store(8);
  PVG_CHECK(!MailboxRef::attach(mem.data(), mem.length()).has_value());
  mem.at(mb::kRecordWordsWord).store(16);
  mem.at(mb::kParkModeWord).store(mb::kParkModeAtomics);  // native threads could not wake it
  PVG_CHECK(!MailboxRef::attach(mem.data(), mem.length()).has_value());
  mem.at(mb::kParkModeWord).store(mb::kParkModeFutex);
  PVG_CHECK(MailboxRef::attach(mem.data(), mem.length()).has_value());
  mem.at(mb::kMagicWord).store(0x12345678);
  PVG_CHECK(!MailboxRef::attach(mem.data(), mem.length()).has_value());
}

PVG_TEST("mailbox: FIFO with arguments, across the u32 position wrap") {
  constexpr uint32_t cap = 4;
  SharedWords mem(wordsFor(cap));
  MailboxRef box = makeMailbox(mem, cap);
  startAt(mem, cap, 0xFFFFFFF0u);
  MailboxRef::Record rec;
  PVG_CHECK(!box.tryDequeue(rec));
  uint32_t sent = 0, got = 0;
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 3; ++k, ++sent) {
      std::array<uint32_t, 3> args{sent, ~sent, 7};
      PVG_CHECK(box.enqueue(100 + sent, args) == EnqueueResult::Ok);
    }
    for (int k = 0; k < 3; ++k, ++got) {
      PVG_REQUIRE(box.tryDequeue(rec));
      PVG_CHECK(rec.kind == 100 + got);
      PVG_CHECK(rec.args[0] == got && rec.args[1] == ~got && rec.args[2] == 7 && rec.args[3] == 0);
    }
  }
  PVG_CHECK(!box.tryDequeue(rec));
  PVG_CHECK(box.dequeuedTotal() == 60);
  PVG_CHECK(static_cast<uint32_t>(mem.at(mb::kTailWord).load()) == 0xFFFFFFF0u + 60);  // wrapped
  PVG_CHECK(box.depth() == 0);
}

PVG_TEST("mailbox: all 14 argument words round-trip; 15 are refused") {
  SharedWords mem(wordsFor(2));
  MailboxRef box = makeMailbox(mem, 2);
  std::array<uint32_t, mb::kRecordArgs> args{};
  for (uint32_t i = 0; i < args.size(); ++i) args[i] = 0xF0000000u + i;
  PVG_CHECK(box.enqueue(3, args) == EnqueueResult::Ok);
  std::array<uint32_t, mb::kRecordArgs + 1> tooMany{};
  PVG_CHECK(box.enqueue(3, tooMany) == EnqueueResult::TooManyArgs);
  MailboxRef::Record rec;
  PVG_REQUIRE(box.tryDequeue(rec));
  PVG_CHECK(rec.args == args);
}

PVG_TEST("mailbox: a full mailbox times out instead of dropping, and counts the wait") {
  SharedWords mem(wordsFor(2));
  MailboxRef box = makeMailbox(mem, 2);
  PVG_CHECK(box.enqueue(1, {}) == EnqueueResult::Ok);
  PVG_CHECK(box.enqueue(2, {}) == EnqueueResult::Ok);
  PVG_CHECK(box.enqueue(3, {}, 2'000'000) == EnqueueResult::TimedOut);
  PVG_CHECK(box.producerWaits() >= 1);
  PVG_CHECK(mem.at(mb::kProducersWaitingWord).load() == 0);
  PVG_CHECK(box.depth() == 2);
  MailboxRef::Record rec;
  PVG_CHECK(box.tryDequeue(rec) && rec.kind == 1);
  PVG_CHECK(box.enqueue(3, {}, 0) == EnqueueResult::Ok);
}

PVG_TEST("mailbox: 8 producers x 20k into capacity 8: exactly once, per-producer order, back-pressure") {
  constexpr uint32_t cap = 8, producers = 8, perProducer = 20'000;
  SharedWords mem(wordsFor(cap));
  MailboxRef box = makeMailbox(mem, cap);
  startAt(mem, cap, 0xFFFF0000u);  // the run crosses the u32 wrap
  std::atomic<uint32_t> refused{0};
  std::vector<std::thread> threads;
  for (uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      Rng rng(0x5EED0000 + p);
      for (uint32_t seq = 0; seq < perProducer; ++seq) {
        std::array<uint32_t, 3> args{p, seq, checksum(p, seq)};
        if (box.enqueue(1, args) != EnqueueResult::Ok) refused.fetch_add(1);
        pvg::test::jitter(rng);
      }
    });
  }
  std::array<uint32_t, producers> next{};
  uint32_t total = 0, misordered = 0, corrupt = 0;
  Rng rng(42);
  MailboxRef::Record rec;
  while (total < producers * perProducer) {
    if (!box.dequeueWait(rec, 64, 10'000'000'000)) break;  // 10 s: only on a lost wakeup
    ++total;
    uint32_t p = rec.args[0];
    if (rec.kind != 1 || p >= producers || rec.args[2] != checksum(p, rec.args[1])) {
      ++corrupt;
      continue;
    }
    if (rec.args[1] != next[p]) ++misordered;
    next[p] = rec.args[1] + 1;
    pvg::test::jitter(rng, 128);  // a slower consumer keeps the mailbox full
  }
  for (auto& t : threads) t.join();
  PVG_CHECK(total == producers * perProducer);
  PVG_CHECK(corrupt == 0);
  PVG_CHECK(misordered == 0);
  for (uint32_t p = 0; p < producers; ++p) PVG_CHECK(next[p] == perProducer);
  PVG_CHECK(refused.load() == 0);
  PVG_CHECK(!box.tryDequeue(rec));
  PVG_CHECK(box.dequeuedTotal() == uint64_t{producers} * perProducer);
  PVG_CHECK(box.producerWaits() > 0);
  PVG_CHECK(mem.at(mb::kProducersWaitingWord).load() == 0);
}

PVG_TEST("mailbox: a parked consumer is woken by the producer's ring") {
  SharedWords mem(wordsFor(8));
  MailboxRef box = makeMailbox(mem, 8);
  for (int round = 0; round < 20; ++round) {
    uint32_t parksBefore = box.consumerParks();
    std::atomic<bool> got{false};
    std::thread consumer([&] {
      MailboxRef::Record rec;
      // Generous timeout: reaching it means the ring was lost (the record is found afterwards).
      auto start = std::chrono::steady_clock::now();
      bool ok = box.dequeueWait(rec, 0, 20'000'000'000);
      bool early = std::chrono::steady_clock::now() - start < std::chrono::seconds(10);
      got = ok && early && rec.kind == 9 && rec.args[0] == static_cast<uint32_t>(round);
    });
    PVG_REQUIRE(pvg::test::eventually([&] { return box.consumerParks() > parksBefore && mem.at(mb::kDoorbellStateWord).load() == mb::kDoorbellParked; }));
    std::array<uint32_t, 1> args{static_cast<uint32_t>(round)};
    PVG_CHECK(box.enqueue(9, args) == EnqueueResult::Ok);
    consumer.join();
    PVG_CHECK(got.load());
    PVG_CHECK(mem.at(mb::kDoorbellStateWord).load() == mb::kDoorbellRunning);
  }
}

PVG_TEST("mailbox: spin-then-park consumer under sporadic producers loses nothing") {
  constexpr uint32_t producers = 3, perProducer = 1'500;
  SharedWords mem(wordsFor(16));
  MailboxRef box = makeMailbox(mem, 16);
  std::vector<std::thread> threads;
  for (uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      Rng rng(p * 7919 + 1);
      for (uint32_t seq = 0; seq < perProducer; ++seq) {
        std::array<uint32_t, 2> args{p, seq};
        box.enqueue(2, args);
        // Frequent pauses so the consumer runs dry and parks between bursts.
        if (rng.below(8) == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng.below(200)));
      }
    });
  }
  std::array<uint32_t, producers> next{};
  uint32_t total = 0, misordered = 0;
  MailboxRef::Record rec;
  while (total < producers * perProducer && box.dequeueWait(rec, 32, 10'000'000'000)) {
    ++total;
    if (rec.args[0] >= producers || rec.args[1] != next[rec.args[0]]++) ++misordered;
  }
  for (auto& t : threads) t.join();
  PVG_CHECK(total == producers * perProducer);
  PVG_CHECK(misordered == 0);
  PVG_CHECK(box.consumerParks() > 0);
}

PVG_TEST("mailbox: close() releases a parked consumer") {
  SharedWords mem(wordsFor(4));
  MailboxRef box = makeMailbox(mem, 4);
  std::atomic<int> result{-1};
  std::thread consumer([&] {
    MailboxRef::Record rec;
    result = box.dequeueWait(rec, 0, -1) ? 1 : 0;  // no timeout: only close() can end it
  });
  PVG_REQUIRE(pvg::test::eventually([&] { return box.consumerParks() > 0; }));
  box.close(7);
  consumer.join();
  PVG_CHECK(result.load() == 0);
  PVG_CHECK(box.isClosed());
  PVG_CHECK(box.closeReason() == 7);
  PVG_CHECK(box.enqueue(1, {}) == EnqueueResult::Closed);
  box.close(9);  // a second close keeps the first reason
  PVG_CHECK(box.closeReason() == 7);
}

PVG_TEST("mailbox: close() releases producers blocked on a full mailbox") {
  constexpr uint32_t cap = 4, blocked = 6;
  SharedWords mem(wordsFor(cap));
  MailboxRef box = makeMailbox(mem, cap);
  for (uint32_t i = 0; i < cap; ++i) PVG_CHECK(box.enqueue(1, {}) == EnqueueResult::Ok);
  std::atomic<uint32_t> closedResults{0};
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < blocked; ++i) {
    threads.emplace_back([&] {
      if (box.enqueue(2, {}, -1) == EnqueueResult::Closed) closedResults.fetch_add(1);
    });
  }
  PVG_REQUIRE(pvg::test::eventually([&] { return mem.at(mb::kProducersWaitingWord).load() == int32_t{blocked}; }));
  box.close(3);
  for (auto& t : threads) t.join();
  PVG_CHECK(closedResults.load() == blocked);
  PVG_CHECK(box.producerWaits() >= blocked);
  PVG_CHECK(mem.at(mb::kProducersWaitingWord).load() == 0);
  // What was enqueued before the close can still be drained.
  MailboxRef::Record rec;
  uint32_t drained = 0;
  while (box.tryDequeue(rec)) ++drained;
  PVG_CHECK(drained == cap);
}

PVG_TEST("mailbox: close at a random moment under load: every accepted record is delivered once") {
  constexpr uint32_t producers = 4;
  for (uint32_t trial = 0; trial < 8; ++trial) {
    SharedWords mem(wordsFor(8));
    MailboxRef box = makeMailbox(mem, 8);
    std::array<std::atomic<uint32_t>, producers> accepted{};
    std::vector<std::thread> threads;
    for (uint32_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        Rng rng(trial * 100 + p);
        for (uint32_t seq = 0;; ++seq) {
          std::array<uint32_t, 2> args{p, seq};
          if (box.enqueue(1, args) != EnqueueResult::Ok) break;
          accepted[p].store(seq + 1);
          pvg::test::jitter(rng, 64);
        }
      });
    }
    std::array<uint32_t, producers> next{};
    uint32_t misordered = 0;
    std::thread consumer([&] {
      Rng rng(trial);
      MailboxRef::Record rec;
      while (box.dequeueWait(rec, 16, -1)) {
        if (rec.args[0] >= producers || rec.args[1] != next[rec.args[0]]++) ++misordered;
        pvg::test::jitter(rng, 64);
      }
    });
    Rng rng(trial + 1000);
    std::this_thread::sleep_for(std::chrono::microseconds(500 + rng.below(5'000)));
    box.close(1);
    for (auto& t : threads) t.join();
    consumer.join();
    MailboxRef::Record rec;  // records published by producers that claimed a slot before close
    while (box.tryDequeue(rec)) {
      if (rec.args[0] >= producers || rec.args[1] != next[rec.args[0]]++) ++misordered;
    }
    PVG_CHECK(misordered == 0);
    for (uint32_t p = 0; p < producers; ++p) PVG_CHECK(next[p] == accepted[p].load());
  }
}
