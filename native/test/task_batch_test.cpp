// TaskBatch (native/src/engine/soft/task_batch.h): how a run of task commands splits into lanes.
// The lanes running at once are tested with the whole engine (engine_test.cpp, "task lanes").
#include "engine/soft/task_batch.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "harness.h"

using pvg::engine::TaskBatch;
namespace P = pvg::engine::proto;

namespace {
// Appends a command whose first argument is `ctx` (its words after the header: ctx, then `extra` zeros).
void add(TaskBatch& b, uint16_t op, uint32_t ctx, uint32_t extra = 2) {
  uint32_t* w = b.slot();
  w[0] = ctx;
  for (uint32_t i = 1; i <= extra; ++i) w[i] = 0;
  b.add(op, 1 + extra, (2 + extra) * 4);
}

std::vector<uint32_t> lane(TaskBatch& b, uint32_t l) {
  std::vector<uint32_t> out;
  for (uint32_t i = b.laneFirst(l); i != TaskBatch::kNone; i = b.command(i).nextInLane) out.push_back(i);
  return out;
}
}  // namespace

PVG_TEST("task batch: one lane per context, each in ring order; an out-of-range context gets lane key 0") {
  TaskBatch b;
  add(b, P::OpMap, 3);
  add(b, P::OpMap, 7);
  add(b, P::OpUnmap, 3);
  add(b, P::OpCtxDestroy, 9999);  // not a context number
  add(b, P::OpCtxCreate, 7);
  add(b, P::OpUnmap, 0);
  PVG_CHECK(b.size() == 6);
  PVG_CHECK(b.lanes() == 3);
  PVG_CHECK(lane(b, 0) == (std::vector<uint32_t>{0, 2}));
  PVG_CHECK(lane(b, 1) == (std::vector<uint32_t>{1, 4}));
  PVG_CHECK(lane(b, 2) == (std::vector<uint32_t>{3, 5}));  // 9999 and 0 share key 0
  PVG_CHECK(b.args(b.command(1)).size() == 3 && b.args(b.command(1))[0] == 7);
  PVG_CHECK(b.command(2).ringBytes == 16);
  PVG_CHECK(!b.full());
}

PVG_TEST("task batch: a READ_MEM closes it, 64 commands fill it, clear() forgets every lane") {
  TaskBatch b;
  add(b, P::OpMap, 1);
  add(b, P::OpReadMem, 2, 5);
  PVG_CHECK(b.full());
  b.clear();
  PVG_CHECK(b.empty() && !b.full() && b.lanes() == 0);
  for (uint32_t i = 0; i < TaskBatch::kMaxCommands; ++i) {
    PVG_CHECK(!b.full());
    add(b, P::OpMap, 1 + i % 5, P::kMaxCommandWords - 2);  // the longest commands: the arena holds them
  }
  PVG_CHECK(b.full());
  PVG_CHECK(b.lanes() == 5);
  b.clear();
  add(b, P::OpMap, 4);  // context 4 had lane 3 before the clear: a new batch starts at lane 0
  PVG_CHECK(b.lanes() == 1 && lane(b, 0) == (std::vector<uint32_t>{0}));
  PVG_CHECK(TaskBatch::isTaskOp(P::OpCtxCreate) && TaskBatch::isTaskOp(P::OpReadMem));
  PVG_CHECK(!TaskBatch::isTaskOp(P::OpNop) && !TaskBatch::isTaskOp(P::OpBlit) && !TaskBatch::isTaskOp(P::OpFence));
}

PVG_TEST("task batch: claimLane hands every lane to exactly one of many threads") {
  constexpr int kThreads = 8;
  TaskBatch b;
  for (uint32_t c = 1; c <= TaskBatch::kMaxCommands; ++c) add(b, P::OpCtxCreate, c);
  PVG_REQUIRE(b.lanes() == TaskBatch::kMaxCommands);
  for (int round = 0; round < 200; ++round) {
    b.open();
    std::vector<std::vector<uint32_t>> claimed(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (uint32_t l = b.claimLane(); l != TaskBatch::kNone; l = b.claimLane()) {
          claimed[t].push_back(l);
          if ((l + round) % 7 == 0) std::this_thread::yield();
        }
      });
    }
    for (auto& th : threads) th.join();
    std::multiset<uint32_t> all;
    for (const auto& c : claimed) all.insert(c.begin(), c.end());
    PVG_CHECK(all.size() == TaskBatch::kMaxCommands);
    PVG_CHECK(std::set<uint32_t>(all.begin(), all.end()).size() == TaskBatch::kMaxCommands);
  }
}
