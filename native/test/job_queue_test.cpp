// The engine's job queues: pending() counts a job from the moment it is posted until it has run,
// with no gap between taken and running (vm.pause() waits for a display queue at 0:
// docs/lifecycle.md).
#include <atomic>
#include <chrono>
#include <thread>

#include "engine/threads/job_queue.h"
#include "harness.h"

using pvg::engine::Job;
using pvg::engine::JobQueue;

namespace {
struct Gate {
  std::atomic<bool> open{false};
  std::atomic<int> started{0}, finished{0};
};

void blockUntilOpen(void* self, const std::array<uint64_t, 4>&) {
  auto* g = static_cast<Gate*>(self);
  g->started.fetch_add(1);
  while (!g->open.load()) std::this_thread::sleep_for(std::chrono::microseconds(50));
  g->finished.fetch_add(1);
}

template <class Cond>
bool within(int ms, Cond cond) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}
}  // namespace

PVG_TEST("job queue: pending() counts queued and running jobs, and is 0 only once every job has run") {
  JobQueue q("test-serial", 1, 1, 8);
  Gate g;
  PVG_CHECK(q.pending() == 0);
  PVG_CHECK(q.post(Job{&blockUntilOpen, &g, {}}));
  PVG_CHECK(q.post(Job{&blockUntilOpen, &g, {}}));
  PVG_CHECK(within(2000, [&] { return g.started.load() == 1; }));
  PVG_CHECK(q.pending() == 2);  // one running, one queued
  g.open.store(true);
  PVG_CHECK(within(2000, [&] { return q.pending() == 0; }));
  PVG_CHECK(g.finished.load() == 2);  // 0 was seen only after both had run
  q.stop();
}

PVG_TEST("job queue: on a concurrent pool, pending() == 0 means every job posted before it has run (a watcher thread)") {
  JobQueue q("test-pool", 3, 2, 16);
  std::atomic<uint64_t> posted{0}, finished{0};
  std::atomic<bool> wrong{false}, done{false};
  const auto work = [](void* self, const std::array<uint64_t, 4>& a) {
    std::this_thread::sleep_for(std::chrono::microseconds(a[0]));
    static_cast<std::atomic<uint64_t>*>(self)->fetch_add(1);
  };
  std::thread watcher([&] {
    while (!done.load()) {
      const uint64_t before = posted.load();  // posted (and so queued) before pending() looks
      if (q.pending() == 0 && finished.load() < before) wrong.store(true);
    }
  });
  for (uint64_t i = 0; i < 2000; ++i) {
    PVG_CHECK(q.post(Job{work, &finished, {i % 7, 0, 0, 0}}));
    posted.fetch_add(1);
  }
  PVG_CHECK(within(10000, [&] { return q.pending() == 0; }));
  done.store(true);
  watcher.join();
  PVG_CHECK(finished.load() == 2000);
  PVG_CHECK(!wrong.load());
  q.stop();
}
