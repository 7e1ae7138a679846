// The engine's own dispatch queues, shaped like GCD's: a concurrent pool (several threads take
// jobs from one queue) and a serial queue (one thread). Jobs are plain function pointers with
// four words of arguments, so posting never allocates.
#pragma once
#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pvg::engine {
struct Job {
  void (*run)(void* self, const std::array<uint64_t, 4>& args) = nullptr;
  void* self = nullptr;
  std::array<uint64_t, 4> args{};
};

// Index of the calling engine thread (0 = MMIO dispatcher, 1 = display queue, 2… = pool), or -1.
int currentEngineThread();
void setCurrentEngineThread(int index, const std::string& name);

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
  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }
  // Jobs queued or running now (the VM's pause waits for 0: docs/lifecycle.md).
  size_t pending() const;

 private:
  void serve(int index);

  std::string name_;
  std::vector<Job> ring_;
  size_t head_ = 0, count_ = 0, running_ = 0;
  bool stopping_ = false;
  mutable std::mutex mutex_;
  std::condition_variable notEmpty_, notFull_;
  std::vector<std::thread> workers_;
};
}  // namespace pvg::engine
