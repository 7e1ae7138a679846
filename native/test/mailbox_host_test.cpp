// MailboxHost's events that need no answer (engine/bridge/mailbox_host.h): engine threads posting
// into a mailbox nobody drains any more — a device actor that crashed, a compositor that hangs —
// must leave once the engine stops (shutdown()), because the worker's teardown joins them before
// anything closes that mailbox. Several posters, a random number of slots freed at random times
// before the stop, into the device actor's mailbox or the compositor's: every poster returns
// within a bound, and each event either landed or was counted unavailable.
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "abi/mailbox_layout.h"
#include "abi/mmio_completion_layout.h"
#include "core/clock.h"
#include "core/mailbox.h"
#include "core/mailbox_layout.h"
#include "core/reply_layout.h"
#include "core/reply_slot.h"
#include "engine/bridge/mailbox_host.h"
#include "harness.h"
#include "test_support.h"

namespace {
using pvg::MailboxRef;
using pvg::ReplyTableRef;
using pvg::engine::MailboxHost;
using pvg::engine::MailboxHostConfig;
using pvg::test::Rng;
using pvg::test::SharedWords;

constexpr uint32_t kCapacity = 4;
constexpr uint32_t kSlots = 4;
constexpr uint32_t kFillerKind = 0x7777;  // no record kind of the engine's

struct Boxes {
  SharedWords deviceWords{pvg::mailbox::bytesFor(kCapacity) / 4};
  SharedWords compositorWords{pvg::mailbox::bytesFor(kCapacity) / 4};
  SharedWords replyWords{pvg::reply::tableBytes(kSlots, 64) / 4};
  SharedWords vcpuReplyWords{pvg::reply::tableBytes(2, 0) / 4};
  SharedWords completion{pvg::mmio::kWordsPerVcpu};
  std::optional<MailboxRef> device, compositor;
  std::optional<ReplyTableRef> replies, vcpuReplies;

  Boxes() {
    PVG_REQUIRE(MailboxRef::initialize(deviceWords.data(), deviceWords.length(), kCapacity));
    PVG_REQUIRE(MailboxRef::initialize(compositorWords.data(), compositorWords.length(), kCapacity));
    PVG_REQUIRE(ReplyTableRef::initialize(replyWords.data(), replyWords.length(), kSlots, 64));
    PVG_REQUIRE(ReplyTableRef::initialize(vcpuReplyWords.data(), vcpuReplyWords.length(), 2, 0));
    device = MailboxRef::attach(deviceWords.data(), deviceWords.length());
    compositor = MailboxRef::attach(compositorWords.data(), compositorWords.length());
    replies = ReplyTableRef::attach(replyWords.data(), replyWords.length());
    vcpuReplies = ReplyTableRef::attach(vcpuReplyWords.data(), vcpuReplyWords.length());
    PVG_REQUIRE(device && compositor && replies && vcpuReplies);
  }
};

// Producers announced inside the mailbox's full wait (the layout's word; the test reads it as the
// TypeScript side's stats() does).
int32_t producersWaiting(SharedWords& words) { return words.at(pvg::mailbox::kProducersWaitingWord).load(); }
}  // namespace

PVG_TEST("mailbox host: events posted into a full mailbox nobody drains are released by shutdown, none lost silently") {
  Rng rng(0x5eed'0017);
  const int rounds = pvg::test::kUnderTsan ? 12 : 40;
  int64_t slowestNs = 0;
  for (int round = 0; round < rounds; ++round) {
    Boxes b;
    const bool toCompositor = round % 2 == 1;  // display events to the compositor, else to the device actor
    MailboxHostConfig config{*b.device, *b.replies, 0, kSlots, *b.vcpuReplies, b.completion.data(), 1};
    if (toCompositor) config.compositor = *b.compositor;
    MailboxHost host(config);
    MailboxRef& target = toCompositor ? *b.compositor : *b.device;
    SharedWords& targetWords = toCompositor ? b.compositorWords : b.deviceWords;
    const uint32_t filler[1] = {0};
    for (uint32_t i = 0; i < kCapacity; ++i) PVG_REQUIRE(target.enqueue(kFillerKind, filler, 0) == pvg::EnqueueResult::Ok);

    const int posters = 1 + static_cast<int>(rng.below(4));
    std::vector<std::thread> threads;
    for (int t = 0; t < posters; ++t) threads.emplace_back([&host, t] { host.newFrame(0, static_cast<uint32_t>(t)); });
    PVG_REQUIRE(pvg::test::eventually([&] { return producersWaiting(targetWords) == posters; }));
    // The consumer takes a few records and goes away: those slots may go to posters, or not.
    const uint32_t freed = rng.below(static_cast<uint32_t>(posters) + 1);
    MailboxRef::Record r;
    for (uint32_t i = 0; i < freed; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng.below(2000)));
      PVG_REQUIRE(target.tryDequeue(r));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng.below(3000)));
    const int64_t t0 = pvg::monotonicNanos();
    host.shutdown();
    for (auto& th : threads) th.join();
    const int64_t tookNs = pvg::monotonicNanos() - t0;
    slowestNs = std::max(slowestNs, tookNs);
    // One wait slice (100 ms) and the stop, with a wide margin for a loaded machine or TSan.
    PVG_CHECK(tookNs < 2'000'000'000);

    uint32_t landed = 0;
    while (target.tryDequeue(r)) landed += r.kind == kFillerKind ? 0 : 1;
    PVG_CHECK(landed <= freed);
    PVG_CHECK(landed + host.unavailable() == static_cast<uint64_t>(posters));
    // The other mailbox got nothing: each event goes to exactly one place.
    MailboxRef& other = toCompositor ? *b.device : *b.compositor;
    PVG_CHECK(!other.tryDequeue(r));
  }
  std::printf("    slowest release of the posters after shutdown: %.1f ms\n", static_cast<double>(slowestNs) / 1e6);
}
