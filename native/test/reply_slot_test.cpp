// ReplyTableRef: layout validation, the reply/fail/stale/cancel paths, parking, and many
// requesters against several responders that post through mailboxes.
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "core/mailbox.h"
#include "core/reply_slot.h"
#include "harness.h"
#include "test_support.h"

using pvg::ReplyStatus;
using pvg::ReplyTableRef;
using pvg::test::Rng;
using pvg::test::SharedWords;
namespace rp = pvg::reply;

namespace {
size_t wordsFor(uint32_t slots, uint32_t payload) { return static_cast<size_t>(rp::tableBytes(slots, payload) / 4); }

ReplyTableRef makeTable(SharedWords& mem, uint32_t slots, uint32_t payload) {
  PVG_REQUIRE(ReplyTableRef::initialize(mem.data(), mem.length(), slots, payload));
  auto table = ReplyTableRef::attach(mem.data(), mem.length());
  PVG_REQUIRE(table.has_value());
  return *table;
}
}  // namespace

PVG_TEST("reply: attach validates magic, shape and length; slot i sits at (i + 1) * slotBytes") {
  SharedWords mem(wordsFor(4, 64));
  PVG_CHECK(!ReplyTableRef::attach(mem.data(), mem.length()).has_value());
  PVG_CHECK(!ReplyTableRef::initialize(mem.data(), mem.length(), 4, 62));  // payload not whole words
  PVG_CHECK(!ReplyTableRef::initialize(mem.data(), mem.length(), 5, 64));  // does not fit
  PVG_CHECK(!ReplyTableRef::initialize(mem.data(), mem.length(), 0, 64));
  ReplyTableRef table = makeTable(mem, 4, 64);
  PVG_CHECK(table.slotCount() == 4 && table.payloadBytes() == 64);
  PVG_CHECK(!ReplyTableRef::attach(mem.data(), mem.length() - 1).has_value());
  PVG_CHECK(table.begin(2, 77));
  PVG_CHECK(mem.at(3 * 128 / 4 + rp::kRequestIdWord).load() == 77);
  PVG_CHECK(mem.at(3 * 128 / 4 + rp::kStateWord).load() == rp::kPending);
  auto payload = table.payload(2);
  PVG_CHECK(payload.size() == 64);
  PVG_CHECK(payload.data() == reinterpret_cast<uint8_t*>(mem.data()) + 3 * 128 + 64);
  PVG_CHECK(table.payload(4).empty());
  PVG_CHECK(!table.begin(4, 1));
  PVG_CHECK(table.wait(4, 0, 0).status == ReplyStatus::BadSlot);
  PVG_CHECK(!table.reply(4, 1, {}));
  mem.at(rp::kTableMagicWord).store(0);
  PVG_CHECK(!ReplyTableRef::attach(mem.data(), mem.length()).has_value());
}

PVG_TEST("reply: values delivered; stale ids, duplicates and too many values ignored") {
  SharedWords mem(wordsFor(2, 0));
  ReplyTableRef table = makeTable(mem, 2, 0);
  PVG_CHECK(table.wait(1, 0, 0).status == ReplyStatus::Idle);
  PVG_CHECK(!table.reply(1, 5, {}));  // nothing pending
  PVG_REQUIRE(table.begin(1, 5));
  std::array<uint32_t, 3> stale{9, 9, 9}, good{1, 2, 0xFFFFFFFFu};
  std::array<uint32_t, rp::kValueWords + 1> tooMany{};
  PVG_CHECK(!table.reply(1, 4, stale));
  PVG_CHECK(!table.reply(1, 5, tooMany));
  PVG_CHECK(table.state(1) == rp::kPending);
  PVG_CHECK(table.reply(1, 5, good));
  PVG_CHECK(!table.reply(1, 5, stale));  // duplicate
  PVG_CHECK(!table.fail(1, 5, 3));
  auto r = table.wait(1, 0, 0);
  PVG_CHECK(r.status == ReplyStatus::Replied);
  PVG_CHECK(r.values[0] == 1 && r.values[1] == 2 && r.values[2] == 0xFFFFFFFFu && r.values[3] == 0);
  PVG_CHECK(!r.parked);
  PVG_CHECK(table.state(1) == rp::kIdle);
  PVG_CHECK(!table.reply(1, 5, stale));    // late duplicate after the requester moved on
  PVG_CHECK(table.state(0) == rp::kIdle);  // the neighbour was never touched
}

PVG_TEST("reply: fail() delivers an error code") {
  SharedWords mem(wordsFor(1, 16));
  ReplyTableRef table = makeTable(mem, 1, 16);
  PVG_REQUIRE(table.begin(0, 0xABCDEF01u));
  PVG_CHECK(!table.fail(0, 0xABCDEF02u, 1));
  PVG_CHECK(table.fail(0, 0xABCDEF01u, -42));
  auto r = table.wait(0, 10, -1);
  PVG_CHECK(r.status == ReplyStatus::Error);
  PVG_CHECK(r.errorCode == -42);
}

PVG_TEST("reply: a timed-out wait stays pending until cancel(); cancel loses to a reply") {
  SharedWords mem(wordsFor(1, 0));
  ReplyTableRef table = makeTable(mem, 1, 0);
  PVG_REQUIRE(table.begin(0, 1));
  auto r = table.wait(0, 0, 1'000'000);
  PVG_CHECK(r.status == ReplyStatus::TimedOut);
  PVG_CHECK(table.state(0) == rp::kPending);
  PVG_CHECK(mem.at(rp::kHeaderBytes / 4 + rp::kParkedWord).load() == 0);
  PVG_CHECK(table.cancel(0));
  std::array<uint32_t, 1> v{1};
  PVG_CHECK(!table.reply(0, 1, v));  // cancelled: nothing pending
  PVG_REQUIRE(table.begin(0, 2));
  PVG_CHECK(table.reply(0, 2, v));
  PVG_CHECK(!table.cancel(0));  // the answer arrived first; collect it
  PVG_CHECK(table.wait(0, 0, 0).status == ReplyStatus::Replied);
}

PVG_TEST("reply: beginNext numbers requests; begin copies the payload; failAllPending") {
  SharedWords mem(wordsFor(3, 8));
  ReplyTableRef table = makeTable(mem, 3, 8);
  std::array<uint8_t, 8> bytes{1, 2, 3, 4, 5, 6, 7, 8};
  std::array<uint8_t, 9> tooBig{};
  PVG_CHECK(!table.begin(0, 1, tooBig));
  auto first = table.beginNext(0, bytes);
  PVG_REQUIRE(first.has_value());
  PVG_CHECK(*first == 1);
  PVG_CHECK(std::memcmp(table.payload(0).data(), bytes.data(), bytes.size()) == 0);
  PVG_CHECK(table.cancel(0));
  PVG_CHECK(table.beginNext(0).value_or(0) == 2);
  PVG_CHECK(table.beginNext(2).value_or(0) == 1);
  PVG_CHECK(!table.beginNext(3).has_value());
  PVG_CHECK(table.failAllPending(-7) == 2);  // slots 0 and 2; slot 1 is idle
  PVG_CHECK(table.failAllPending(-7) == 0);
  auto r = table.wait(0, 0, 0);
  PVG_CHECK(r.status == ReplyStatus::Error && r.errorCode == -7);
  PVG_CHECK(table.wait(1, 0, 0).status == ReplyStatus::Idle);
}

PVG_TEST("reply: a claimed slot holds off the requester, cancel and other responders") {
  SharedWords mem(wordsFor(1, 0));
  ReplyTableRef table = makeTable(mem, 1, 0);
  auto state = mem.at(rp::kHeaderBytes / 4 + rp::kStateWord);
  PVG_REQUIRE(table.begin(0, 10));
  state.store(rp::kClaimed);  // as a stale responder does while it checks the id
  std::atomic<bool> answered{false};
  std::thread responder([&] {
    std::array<uint32_t, 1> v{10};
    answered = table.reply(0, 10, v);  // must wait for the claim's outcome, not give up
  });
  pvg::ReplyResult r;
  std::thread requester([&] { r = table.wait(0, 0, 20'000'000'000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  PVG_CHECK(!answered.load());
  state.store(rp::kPending);  // the stale responder gives the slot back
  responder.join();
  requester.join();
  PVG_CHECK(answered.load());
  PVG_CHECK(r.status == ReplyStatus::Replied && r.values[0] == 10);
  PVG_REQUIRE(table.begin(0, 11));
  state.store(rp::kClaimed);
  std::atomic<int> cancelled{-1};
  std::thread canceller([&] { cancelled = table.cancel(0) ? 1 : 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  PVG_CHECK(cancelled.load() == -1);
  state.store(rp::kPending);
  canceller.join();
  PVG_CHECK(cancelled.load() == 1);
  state.store(rp::kClaimed);
  std::atomic<bool> begun{false};
  std::thread beginner([&] { begun = table.begin(0, 12); });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  PVG_CHECK(!begun.load());
  state.store(rp::kIdle);
  beginner.join();
  PVG_CHECK(begun.load() && table.state(0) == rp::kPending && table.requestId(0) == 12);
}

PVG_TEST("reply: answers to abandoned requests never land in a newer request") {
  constexpr uint32_t requesters = 4, responders = 2, perRequester = 1'500;
  SharedWords tableMem(wordsFor(requesters, 0));
  ReplyTableRef table = makeTable(tableMem, requesters, 0);
  std::vector<std::unique_ptr<SharedWords>> boxMem;
  std::vector<pvg::MailboxRef> boxes;
  for (uint32_t i = 0; i < responders; ++i) {
    boxMem.push_back(std::make_unique<SharedWords>(pvg::mailbox::bytesFor(64) / 4));
    PVG_REQUIRE(pvg::MailboxRef::initialize(boxMem.back()->data(), boxMem.back()->length(), 64));
    boxes.push_back(*pvg::MailboxRef::attach(boxMem.back()->data(), boxMem.back()->length()));
  }
  std::vector<std::thread> responderThreads;
  for (uint32_t r = 0; r < responders; ++r) {
    responderThreads.emplace_back([&, r] {
      Rng rng(31 + r);
      pvg::MailboxRef::Record rec;
      while (boxes[r].dequeueWait(rec, 16, -1) && rec.kind == 1) {
        if (rng.below(8) == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng.below(300)));
        std::array<uint32_t, 2> values{rec.args[1], rec.args[0]};
        table.reply(rec.args[0], rec.args[1], values);
      }
    });
  }
  std::atomic<uint32_t> wrong{0}, abandoned{0}, answered{0};
  std::vector<std::thread> requesterThreads;
  for (uint32_t q = 0; q < requesters; ++q) {
    requesterThreads.emplace_back([&, q] {
      Rng rng(500 + q);
      for (uint32_t i = 0; i < perRequester; ++i) {
        auto id = table.beginNext(q);
        if (!id) return wrong.store(1000000);
        std::array<uint32_t, 2> args{q, *id};
        boxes[rng.below(responders)].enqueue(1, args);
        // Short, random patience: many requests are abandoned while their answer is in flight.
        auto r = table.wait(q, static_cast<int>(rng.below(100)), 1'000 * int64_t{rng.below(200)});
        if (r.status == ReplyStatus::TimedOut) {
          if (table.cancel(q)) {
            abandoned.fetch_add(1);
            continue;
          }
          r = table.wait(q, 0, -1);  // answered just now: collect it
        }
        answered.fetch_add(1);
        if (r.status != ReplyStatus::Replied || r.values[0] != *id || r.values[1] != q) wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : requesterThreads) t.join();
  for (auto& box : boxes) box.enqueue(0, {});
  for (auto& t : responderThreads) t.join();
  PVG_CHECK(wrong.load() == 0);
  PVG_CHECK(answered.load() > 0);
  PVG_CHECK(abandoned.load() > 0);
  std::printf("    (%u answered, %u abandoned)\n", answered.load(), abandoned.load());
}

PVG_TEST("reply: a parked requester is woken by the responder") {
  SharedWords mem(wordsFor(1, 0));
  ReplyTableRef table = makeTable(mem, 1, 0);
  for (uint32_t round = 0; round < 20; ++round) {
    PVG_REQUIRE(table.begin(0, round));
    pvg::ReplyResult r;
    std::thread requester([&] { r = table.wait(0, 0, 20'000'000'000); });
    PVG_REQUIRE(pvg::test::eventually([&] { return mem.at(rp::kHeaderBytes / 4 + rp::kParkedWord).load() == 1; }));
    std::array<uint32_t, 1> v{round * 3};
    PVG_CHECK(table.reply(0, round, v));
    requester.join();
    PVG_CHECK(r.status == ReplyStatus::Replied && r.values[0] == round * 3);
    PVG_CHECK(r.parked);
  }
}

PVG_TEST("reply: 8 requesters x 3 responders through mailboxes, with stale and duplicate answers") {
  constexpr uint32_t requesters = 8, responders = 3, perRequester = 3'000, payloadBytes = 32;
  constexpr uint32_t kRequest = 1, kStop = 0;
  SharedWords tableMem(wordsFor(requesters, payloadBytes));
  ReplyTableRef table = makeTable(tableMem, requesters, payloadBytes);
  std::vector<std::unique_ptr<SharedWords>> boxMem;
  std::vector<pvg::MailboxRef> boxes;
  for (uint32_t i = 0; i < responders; ++i) {
    boxMem.push_back(std::make_unique<SharedWords>(pvg::mailbox::bytesFor(8) / 4));
    PVG_REQUIRE(pvg::MailboxRef::initialize(boxMem.back()->data(), boxMem.back()->length(), 8));
    boxes.push_back(*pvg::MailboxRef::attach(boxMem.back()->data(), boxMem.back()->length()));
  }
  auto failsFor = [](uint32_t id) { return (id * 2654435761u >> 28) == 0; };  // ~1 in 16
  auto payloadByte = [](uint32_t id, uint32_t i) { return static_cast<uint8_t>(id * 31 + i); };

  std::atomic<uint32_t> badPayload{0}, staleAccepted{0}, duplicateAccepted{0};
  std::vector<std::thread> responderThreads;
  for (uint32_t r = 0; r < responders; ++r) {
    responderThreads.emplace_back([&, r] {
      Rng rng(900 + r);
      pvg::MailboxRef::Record rec;
      while (boxes[r].dequeueWait(rec, 32, -1) && rec.kind == kRequest) {
        uint32_t slot = rec.args[0], id = rec.args[1];
        auto payload = table.payload(slot);
        for (uint32_t i = 0; i < payload.size(); ++i) {
          if (payload[i] != payloadByte(id, i)) {
            badPayload.fetch_add(1);
            break;
          }
        }
        std::array<uint32_t, 3> values{id, id * 3, slot};
        if (rng.below(4) == 0 && table.reply(slot, id ^ 0x80000000u, values)) staleAccepted.fetch_add(1);
        pvg::test::jitter(rng, 64);
        bool ok = failsFor(id) ? table.fail(slot, id, static_cast<int32_t>(id & 0xFFFF)) : table.reply(slot, id, values);
        if (ok && rng.below(4) == 0 && table.reply(slot, id, values)) duplicateAccepted.fetch_add(1);
      }
    });
  }

  std::atomic<uint32_t> wrong{0}, timedOut{0}, errors{0}, parked{0};
  std::vector<std::thread> requesterThreads;
  for (uint32_t q = 0; q < requesters; ++q) {
    requesterThreads.emplace_back([&, q] {
      Rng rng(100 + q);
      for (uint32_t i = 0; i < perRequester; ++i) {
        uint32_t id = q << 24 | i;
        auto payload = table.payload(q);
        for (uint32_t b = 0; b < payload.size(); ++b) payload[b] = payloadByte(id, b);
        table.begin(q, id);
        std::array<uint32_t, 2> args{q, id};
        boxes[rng.below(responders)].enqueue(kRequest, args);
        auto r = table.wait(q, static_cast<int>(rng.below(200)), 20'000'000'000);
        if (r.parked) parked.fetch_add(1);
        if (r.status == ReplyStatus::TimedOut) {
          timedOut.fetch_add(1);
          return;
        }
        if (failsFor(id)) {
          errors.fetch_add(1);
          if (r.status != ReplyStatus::Error || r.errorCode != static_cast<int32_t>(id & 0xFFFF)) wrong.fetch_add(1);
        } else if (r.status != ReplyStatus::Replied || r.values[0] != id || r.values[1] != id * 3 || r.values[2] != q) {
          wrong.fetch_add(1);
        }
        pvg::test::jitter(rng, 64);
      }
    });
  }
  for (auto& t : requesterThreads) t.join();
  for (auto& box : boxes) box.enqueue(kStop, {});
  for (auto& t : responderThreads) t.join();
  PVG_CHECK(timedOut.load() == 0);
  PVG_CHECK(wrong.load() == 0);
  PVG_CHECK(badPayload.load() == 0);
  PVG_CHECK(staleAccepted.load() == 0);
  PVG_CHECK(duplicateAccepted.load() == 0);
  PVG_CHECK(errors.load() > 0);  // the fail() path ran
  for (uint32_t q = 0; q < requesters; ++q) PVG_CHECK(table.state(q) == rp::kIdle);
}
