// The engine's own dispatch queues, shaped like GCD's: a concurrent pool (several threads take
// jobs from one queue) and a serial queue (one thread). Jobs are plain function pointers with
// four words of arguments, so posting never allocates.
//
// PVG_ENGINE_INLINE, defined only by the fuzz build's inline core (native/CMakeLists.txt,
// PVG_FUZZ; docs/fuzzing.md, "The inline engine"): a queue starts no thread and runs each job on
// the thread that posts it, before post() returns, as one of the queue's engine threads. The
// fuzz targets then drive the whole engine from one thread, without a hand-off per step. Every
// other build, the addon's included, has the threads.
#pragma once
#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pvg::engine {
#ifdef PVG_ENGINE_INLINE
inline constexpr bool kEngineInline = true;
#else
inline constexpr bool kEngineInline = false;
#endif

struct Job {
  void (*run)(void* self, const std::array<uint64_t, 4>& args) = nullptr;
  void* self = nullptr;
  std::array<uint64_t, 4> args{};
};

// Index of the calling engine thread (0 = MMIO dispatcher, 1 = display queue, 2… = pool), or -1.
int currentEngineThread();
void setCurrentEngineThread(int index, const std::string& name);

// The calling thread counts as engine thread `index` until the scope ends (the inline engine: its
// dispatcher and jobs keep the numbering the threads would have; the thread is not renamed).
class EngineThreadScope {
 public:
  explicit EngineThreadScope(int index);
  ~EngineThreadScope();
  EngineThreadScope(const EngineThreadScope&) = delete;
  EngineThreadScope& operator=(const EngineThreadScope&) = delete;

 private:
  int previous_;
};

class JobQueue {
 public:
  // threads: how many workers serve the queue (1 = a serial queue). firstIndex numbers them.
  JobQueue(std::string name, unsigned threads, int firstIndex, size_t capacity);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues a job; waits while the queue is full (back-pressure inside the engine). Returns false
  // once the queue is stopping (the job is not run).
  bool post(const Job& job);
  // Runs what is queued, then ends the threads. Idempotent.
  void stop();
  // The threads serving the queue (inline: the threads it stands for, none of them started).
  unsigned threads() const { return kEngineInline ? threads_ : static_cast<unsigned>(workers_.size()); }
  // Jobs queued or running now (the VM's pause waits for 0: docs/lifecycle.md).
  size_t pending() const;

 private:
  void serve(int index);
  // PVG_ENGINE_INLINE: runs the job here, as the queue's thread firstIndex_ + (jobs already
  // running inline, modulo threads_): a job posted from inside another (a lane helper from the
  // executor) counts as a different pool thread, as it would be.
  bool runInline(const Job& job);

  std::string name_;
  unsigned threads_ = 0;
  int firstIndex_ = 0;
  std::vector<Job> ring_;
  size_t head_ = 0, count_ = 0, running_ = 0;
  bool stopping_ = false;
  mutable std::mutex mutex_;
  std::condition_variable notEmpty_, notFull_;
  std::vector<std::thread> workers_;
};
}  // namespace pvg::engine
