// Native threads started by a binding, and the JS typed arrays whose memory they use. The
// references keep the SharedArrayBuffers alive while the threads run; they are created and
// released on the JS thread only (join() and the destructor run there). The threads themselves
// never touch a JS value.
#pragma once
#include <napi.h>

#include <atomic>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace pvg::addon {
class ThreadGroup {
 public:
  ThreadGroup() = default;
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  // The owner stops and wakes its threads first, then joins here (or via its own destructor).
  ~ThreadGroup() { join(); }

  void keepAlive(const Napi::Object& array) { refs_.push_back(Napi::Persistent(array)); }

  // Starts one thread; a failed start becomes a JS Error (the caller's destructor joins the rest).
  template <class F>
  void start(Napi::Env env, F&& body) {
    try {
      threads_.emplace_back([this, body = std::forward<F>(body)]() mutable {
        body();
        finished_.fetch_add(1);
      });
    } catch (const std::system_error& e) {
      stop.store(true);
      throw Napi::Error::New(env, std::string("cannot start a native thread: ") + e.what());
    }
  }

  bool done() const { return finished_.load() == threads_.size(); }
  bool joined() const { return joined_; }

  // Blocks until every thread has ended, then lets go of the arrays. Idempotent.
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    refs_.clear();
    joined_ = true;
  }

  std::atomic<bool> stop{false};  // asks the threads to end early (abandoned handle, teardown)

 private:
  std::vector<std::thread> threads_;
  std::vector<Napi::ObjectReference> refs_;
  std::atomic<size_t> finished_{0};
  bool joined_ = false;
};
}  // namespace pvg::addon
