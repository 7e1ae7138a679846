#include <algorithm>
#include <array>
#include <chrono>
#include <atomic>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "core/mailbox.h"
#include "core/spin_gate.h"
#include "harness.h"
#include "test_support.h"

PVG_TEST("spin gate: no gate always lets a thread spin") {
  pvg::SpinGate none;
  PVG_CHECK(none.tryEnter());
  none.leave();
}

PVG_TEST("spin gate: places up to the limit, then refusals; leaving frees a place") {
  alignas(4) std::array<int32_t, pvg::SpinGate::kWords> words{0, 2};
  pvg::SpinGate gate(words.data());
  PVG_CHECK(gate.tryEnter());
  PVG_CHECK(gate.tryEnter());
  PVG_CHECK(!gate.tryEnter());
  PVG_CHECK(words[0] == 2);
  gate.leave();
  {
    pvg::SpinPlace place(gate);
    PVG_CHECK(static_cast<bool>(place));
    pvg::SpinPlace refused(gate);
    PVG_CHECK(!refused);
  }
  PVG_CHECK(words[0] == 1);  // both places gone with their scopes: one of the first two remains
  gate.leave();
  PVG_CHECK(words[0] == 0);
}

PVG_TEST("spin gate: many threads never hold more places than the limit, and all come back") {
  alignas(4) std::array<int32_t, pvg::SpinGate::kWords> words{0, 3};
  pvg::SpinGate gate(words.data());
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t) * 7919u + 1u);
      for (int i = 0; i < 20'000; ++i) {
        pvg::SpinPlace place(gate);
        if (!place) continue;
        const int now = inside.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        for (uint32_t k = rng() % 64; k > 0; --k) std::atomic_signal_fence(std::memory_order_seq_cst);
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  PVG_CHECK(most.load() <= 3);
  PVG_CHECK(most.load() >= 1);
  PVG_CHECK(words[0] == 0);
}

PVG_TEST("spin gate: a consumer without a place parks at once and still gets its record") {
  pvg::test::SharedWords mem(static_cast<size_t>(pvg::mailbox::bytesFor(8) / 4));
  PVG_REQUIRE(pvg::MailboxRef::initialize(mem.data(), mem.length(), 8));
  auto mailbox = pvg::MailboxRef::attach(mem.data(), mem.length());
  PVG_REQUIRE(mailbox.has_value());
  alignas(4) std::array<int32_t, pvg::SpinGate::kWords> words{0, 0};  // no places at all
  pvg::SpinGate gate(words.data());
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint32_t args[] = {42};
    mailbox->enqueue(7, args);
  });
  pvg::MailboxRecord r;
  PVG_CHECK(mailbox->dequeueWait(r, 1'000'000, 2'000'000'000, gate));
  PVG_CHECK(r.kind == 7 && r.args[0] == 42);
  PVG_CHECK(words[0] == 0);
  producer.join();
}
