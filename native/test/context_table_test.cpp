// ContextTable (native/src/engine/soft/context_table.h): the engine's contexts with a bitmap of the
// live ones, so RESET visits only those (issue 16). Checked against a model, with lanes of
// threads changing numbers that share bitmap words, and through the engine: contexts created at
// random numbers by ring commands (task lanes on the pool), then RESET, must leave nothing.
#include "engine/soft/context_table.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "../fuzz/engine_state.h"
#include "../fuzz/guest_ring.h"
#include "../fuzz/rig.h"
#include "harness.h"
#include "test_support.h"

using pvg::engine::ContextTable;
using namespace pvg::fuzz;

namespace {
constexpr uint32_t kMax = P::kMaxContexts;

// Every live context the table lists, in the order it lists them.
std::vector<uint32_t> listed(const ContextTable& t) {
  std::vector<uint32_t> out;
  t.forEachLive([&](uint32_t n, const ContextTable::Context&) { out.push_back(n); });
  return out;
}

// A context number biased towards the edges of bitmap words and of the range.
uint32_t pickNumber(pvg::Rng& rng) {
  if (rng.below(4) == 0) {
    const uint32_t word = rng.below(kMax / 64 + 1), edge = rng.below(3);
    const uint32_t n = word * 64 + (edge == 0 ? 0 : edge == 1 ? 63 : 1);
    return std::clamp<uint32_t>(n, 1, kMax);
  }
  return 1 + rng.below(kMax);
}
}  // namespace

PVG_TEST("context table: random adds and removes match a model; listed in ascending order; clear() empties it") {
  pvg::Rng rng(0xC0417E57);
  for (int round = 0; round < 20; ++round) {
    ContextTable t;
    std::map<uint32_t, ContextTable::Context> model;
    for (int step = 0; step < 2000; ++step) {
      const uint32_t n = pickNumber(rng);
      if (model.count(n) == 0) {
        const ContextTable::Context c{rng.below(1u << 20), 4096ull * (1 + rng.below(100))};
        PVG_REQUIRE(t.find(n) == nullptr);
        t.add(n, c);
        model[n] = c;
      } else if (rng.below(2) == 0) {
        t.remove(n);
        model.erase(n);
      }
      const ContextTable::Context* found = t.find(n);
      PVG_REQUIRE((found != nullptr) == (model.count(n) == 1));
      if (found) PVG_CHECK(found->task == model[n].task && found->size == model[n].size);
    }
    std::vector<uint32_t> expected;
    for (const auto& [n, c] : model) expected.push_back(n);
    PVG_CHECK(listed(t) == expected);
    PVG_CHECK(t.liveCount() == model.size());
    t.forEachLive([&](uint32_t n, const ContextTable::Context& c) { PVG_CHECK(c.task == model[n].task && c.size == model[n].size); });
    t.clear();
    PVG_CHECK(t.liveCount() == 0 && listed(t).empty());
    for (const auto& [n, c] : model) PVG_CHECK(t.find(n) == nullptr);
  }
  const ContextTable t;
  PVG_CHECK(t.find(0) == nullptr && t.find(kMax + 1) == nullptr && t.find(UINT32_MAX) == nullptr);
}

// Task lanes change different contexts at once, and neighbouring numbers share a bitmap word: a
// lost update (a plain read-modify-write of the word) would drop or revive another lane's context.
// The threads' numbers are packed into three words (the first, one in the middle, the last) so
// that two threads on two cores hit the same word often.
PVG_TEST("context table: threads adding and removing their own numbers in shared words lose nothing") {
  const uint32_t threads = 8;
  const int iterations = pvg::test::kUnderTsan ? 20000 : 200000;
  ContextTable t;
  std::vector<std::vector<bool>> live(threads, std::vector<bool>(kMax + 1, false));
  std::atomic<bool> broken{false};
  std::atomic<uint32_t> ready{0};
  std::vector<std::thread> workers;
  for (uint32_t w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      pvg::Rng rng(0x5EED + w);
      std::vector<uint32_t> own;  // thread w owns the numbers ≡ w mod 8 in words 0, 31 and 63
      for (uint32_t word : {0u, 31u, 63u})
        for (uint32_t n = word * 64 + w; n < word * 64 + 64; n += threads)
          if (ContextTable::inRange(n)) own.push_back(n);
      std::vector<bool>& mine = live[w];
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      for (int i = 0; i < iterations && !broken.load(std::memory_order_relaxed); ++i) {
        const uint32_t n = own[rng.below(static_cast<uint32_t>(own.size()))];
        if (!mine[n]) {
          t.add(n, ContextTable::Context{n, 4096});
        } else {
          t.remove(n);
        }
        mine[n] = !mine[n];
        const ContextTable::Context* c = t.find(n);
        if ((c != nullptr) != mine[n] || (c && c->task != n)) broken = true;  // its own context changed under it
        pvg::test::jitter(rng, 1 << 16);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  PVG_CHECK(!broken);
  std::vector<uint32_t> all;
  for (uint32_t n = 1; n <= kMax; ++n)
    if (live[n % threads][n]) all.push_back(n);
  PVG_CHECK(listed(t) == all);
  PVG_CHECK(t.liveCount() == all.size());
}

// Through the engine: CTX_CREATE at random numbers (word edges, 1 and 4095 among them), some
// destroyed again, a state saved and loaded, then RESET. The engine, its task memory and the host
// must hold no context and no task afterwards, and every number must be free to create again.
PVG_TEST("engine: RESET after contexts at random numbers leaves no context and no task; a saved state lists exactly the live ones") {
  Rig rig(HostOptions{});  // its own: a rig owns the machine's mailbox while it lives
  pvg::Rng rng(0x16);
  for (int round = 0; round < 4; ++round) {
    rig.powerOn();
    rig.begin(HostOptions{});
    GuestRing ring(rig);
    PVG_REQUIRE(ring.start(kRingGpa, 1 << 20));
    std::set<uint32_t> numbers = {1, 63, 64, 127, 128, kMax};
    while (numbers.size() < 300) numbers.insert(pickNumber(rng));
    for (uint32_t n : numbers) {
      const uint32_t create[4] = {(4u << 16) | P::OpCtxCreate, n, 4096, 0};
      PVG_REQUIRE(ring.put(create));
    }
    ring.ring();
    std::set<uint32_t> live = numbers;
    for (uint32_t n : numbers) {
      if (rng.below(3) != 0) continue;
      const uint32_t destroy[2] = {(2u << 16) | P::OpCtxDestroy, n};
      PVG_REQUIRE(ring.put(destroy));
      live.erase(n);
    }
    ring.ring();
    PVG_REQUIRE(rig.reg(P::RegErrorCount) == 0);
    PVG_CHECK(rig.engine().holdings().contexts == live.size());
    PVG_CHECK(rig.host().liveTasks() == live.size() + 1);  // and the ring's task

    // The saved state lists exactly the live contexts, in ascending order, and loads back.
    const std::vector<uint8_t> saved = rig.engine().saveState();
    pvg::engine::EngineStateError error;
    const auto state = pvg::engine::decodeEngineState(saved, rigStateLimits(), &error);
    PVG_REQUIRE(state.has_value());
    std::vector<uint32_t> savedNumbers;
    for (const auto& c : state->contexts) savedNumbers.push_back(c.number);
    PVG_CHECK(savedNumbers == std::vector<uint32_t>(live.begin(), live.end()));
    if (round % 2 == 1) {  // from a loaded state as well as from a driven one
      // No begin() here: it would take the heap baseline for rig.end() while this round's objects live.
      rig.powerOn();
      PVG_REQUIRE(loadState(rig, saved).ok());
      PVG_CHECK(rig.engine().saveState() == saved);
      PVG_CHECK(rig.engine().holdings().contexts == live.size());
    }

    rig.setReg(P::RegReset, P::kResetMagic);
    ring.stopped();
    const pvg::engine::EngineHoldings h = rig.engine().holdings();
    PVG_CHECK(h.contexts == 0 && h.tasks == 0 && !h.ringRunning);
    PVG_CHECK(rig.host().liveTasks() == 0);

    // Every number is free again: creating all of them is no error.
    PVG_REQUIRE(ring.start(kRingGpa, 1 << 20));
    for (uint32_t n : numbers) {
      const uint32_t create[4] = {(4u << 16) | P::OpCtxCreate, n, 4096, 0};
      PVG_REQUIRE(ring.put(create));
    }
    ring.ring();
    PVG_CHECK(rig.reg(P::RegErrorCount) == 0);
    PVG_CHECK(rig.engine().holdings().contexts == numbers.size());
  }
  rig.end();
}
