#include "engine/threads/job_queue.h"

#include <pthread.h>

namespace pvg::engine {
namespace {
thread_local int t_engineThread = -1;
}

int currentEngineThread() { return t_engineThread; }

void setCurrentEngineThread(int index, const std::string& name) {
  t_engineThread = index;
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

EngineThreadScope::EngineThreadScope(int index) : previous_(t_engineThread) { t_engineThread = index; }
EngineThreadScope::~EngineThreadScope() { t_engineThread = previous_; }

JobQueue::JobQueue(std::string name, unsigned threads, int firstIndex, size_t capacity)
    : name_(std::move(name)), threads_(threads), firstIndex_(firstIndex), ring_(capacity) {
  if (kEngineInline) return;
  for (unsigned i = 0; i < threads; ++i) {
    workers_.emplace_back([this, index = firstIndex + static_cast<int>(i), i, threads] {
      setCurrentEngineThread(index, threads > 1 ? name_ + "-" + std::to_string(i) : name_);
      serve(index);
    });
  }
}

JobQueue::~JobQueue() { stop(); }

bool JobQueue::post(const Job& job) {
  if (kEngineInline) return runInline(job);
  std::unique_lock lock(mutex_);
  notFull_.wait(lock, [this] { return stopping_ || count_ < ring_.size(); });
  if (stopping_) return false;
  ring_[(head_ + count_) % ring_.size()] = job;
  ++count_;
  lock.unlock();
  notEmpty_.notify_one();
  return true;
}

bool JobQueue::runInline(const Job& job) {
  int index = firstIndex_;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (threads_ > 1) index += static_cast<int>(running_ % threads_);
    ++running_;
  }
  {
    EngineThreadScope as(index);
    job.run(job.self, job.args);
  }
  std::lock_guard lock(mutex_);
  --running_;
  return true;
}

size_t JobQueue::pending() const {
  std::lock_guard lock(mutex_);
  return count_ + running_;
}

void JobQueue::serve(int) {
  for (;;) {
    std::unique_lock lock(mutex_);
    notEmpty_.wait(lock, [this] { return stopping_ || count_ > 0; });
    if (count_ == 0) return;  // stopping and drained
    Job job = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --count_;
    ++running_;  // taken from the queue and running count as one: pending() never sees a gap
    lock.unlock();
    notFull_.notify_one();
    job.run(job.self, job.args);
    lock.lock();
    --running_;
  }
}

void JobQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  notEmpty_.notify_all();
  notFull_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
}
}  // namespace pvg::engine
