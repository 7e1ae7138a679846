// A run of consecutive task commands (CTX_CREATE, CTX_DESTROY, MAP, UNMAP, READ_MEM) taken off
// the ring at once and split into lanes, one per context, so that independent contexts' task
// callbacks run on several pool threads at once, as the framework's do from its GCD queues
// (docs/protocol.md §2, "Ordering"; docs/design.md). Commands of one lane run in ring order; the
// results are committed in ring order by the executor once every lane is done.
//
// Only data and lane claiming live here; the engine runs the commands (soft_engine.cpp).
// Threads: the executor fills the batch and commits it; while it runs, lane workers (the executor
// and pool helpers) claim lanes with claimLane() and write only the results of their own lane's
// commands. The completion wait in SoftEngine orders those writes before the commit.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "abi/protocol.h"

namespace pvg::engine {
class TaskBatch {
 public:
  static constexpr uint32_t kMaxCommands = 64;
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Command {
    uint16_t op = 0;
    uint32_t ringBytes = 0;                   // how far the ring head moves past it
    uint32_t first = 0, words = 0;            // its words after the header, in the arena
    uint32_t nextInLane = kNone;              // the lane's next command (ring order)
    bool ran = false;                         // written by its lane's worker
    proto::Error error = proto::Error::None;  // the same
  };

  TaskBatch() : arena_(kMaxCommands * proto::kMaxCommandWords) { laneOf_.fill(kNoLane); }

  static bool isTaskOp(uint16_t op) { return op >= proto::OpCtxCreate && op <= proto::OpReadMem; }
  // The context a command's lane is keyed by: its first word (an out-of-range one goes to lane
  // key 0, which no context uses: such a command touches no context).
  static uint32_t laneKey(std::span<const uint32_t> args) { return !args.empty() && args[0] <= proto::kMaxContexts ? args[0] : 0; }

  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == kMaxCommands || closed_; }
  // Where the next command's words (header excluded) go: room for the longest command.
  uint32_t* slot() { return arena_.data() + used_; }

  // Appends the command whose words were copied to slot(). A READ_MEM closes the batch: it writes
  // guest memory the commands after it (even the ring itself) may read, so they must be fetched
  // and run after it, as they were when the ring was run one command at a time.
  void add(uint16_t op, uint32_t words, uint32_t ringBytes) {
    Command& c = commands_[count_];
    c = Command{op, ringBytes, used_, words, kNone, false, proto::Error::None};
    const uint32_t key = laneKey(std::span<const uint32_t>(arena_.data() + used_, words));
    uint32_t lane = laneOf_[key];
    if (lane == kNoLane) {
      lane = lanes_++;
      laneOf_[key] = lane;
      laneKeys_[lane] = key;
      laneFirst_[lane] = count_;
    } else {
      commands_[laneLast_[lane]].nextInLane = count_;
    }
    laneLast_[lane] = count_;
    used_ += words;
    ++count_;
    if (op == proto::OpReadMem) closed_ = true;
  }

  uint32_t size() const { return count_; }
  uint32_t lanes() const { return lanes_; }
  Command& command(uint32_t i) { return commands_[i]; }
  std::span<const uint32_t> args(const Command& c) const { return std::span<const uint32_t>(arena_.data() + c.first, c.words); }
  uint32_t laneFirst(uint32_t lane) const { return laneFirst_[lane]; }

  // Lane claiming while the batch runs (any thread): kNone once every lane is taken.
  void open() { nextLane_.store(0, std::memory_order_relaxed); }
  uint32_t claimLane() {
    const uint32_t lane = nextLane_.fetch_add(1, std::memory_order_relaxed);
    return lane < lanes_ ? lane : kNone;
  }

  // Empties the batch for the next run (executor, after the commit).
  void clear() {
    for (uint32_t l = 0; l < lanes_; ++l) laneOf_[laneKeys_[l]] = kNoLane;
    count_ = lanes_ = used_ = 0;
    closed_ = false;
  }

 private:
  static constexpr uint16_t kNoLane = UINT16_MAX;
  std::vector<uint32_t> arena_;
  std::array<Command, kMaxCommands> commands_{};
  std::array<uint16_t, proto::kMaxContexts + 1> laneOf_{};  // context → lane, kNoLane if none yet
  std::array<uint32_t, kMaxCommands> laneKeys_{}, laneFirst_{}, laneLast_{};
  uint32_t count_ = 0, lanes_ = 0, used_ = 0;
  bool closed_ = false;
  std::atomic<uint32_t> nextLane_{0};
};
}  // namespace pvg::engine
