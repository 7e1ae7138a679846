#include "core/event_loop_doorbell.h"

#include <sys/eventfd.h>

#include <atomic>
#include <thread>

#include "abi/mailbox_layout.h"

namespace pvg {
namespace {
std::atomic_ref<int32_t> word(int32_t* words, uint32_t index) { return std::atomic_ref<int32_t>(words[index]); }
}  // namespace

bool ringEventLoop(int32_t* words) {
  // Counted before the descriptor is read: a consumer that unpublishes it afterwards waits for
  // this write to end before closing it, so the number can never name another file by then.
  auto ringers = word(words, mailbox::kEventLoopRingersWord);
  ringers.fetch_add(1);
  const int32_t published = word(words, mailbox::kEventLoopFdWord).load();
  bool rang = false;
  if (published > 0) {
    // An eventfd write only fails when the counter would overflow: the consumer is woken anyway.
    (void)eventfd_write(published - 1, 1);
    rang = true;
  }
  ringers.fetch_sub(1);
  return rang;
}

void publishEventLoopFd(int32_t* words, int fd) { word(words, mailbox::kEventLoopFdWord).store(fd + 1); }

void retireEventLoopFd(int32_t* words) {
  word(words, mailbox::kEventLoopFdWord).store(0);
  // A ringer holds the count for one eventfd write: a short wait.
  while (word(words, mailbox::kEventLoopRingersWord).load() != 0) std::this_thread::yield();
}
}  // namespace pvg
