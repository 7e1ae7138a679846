#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "abi/mailbox_layout.h"
#include "core/event_loop_doorbell.h"
#include "core/mailbox.h"
#include "core/rng.h"
#include "harness.h"

namespace {
using namespace pvg::mailbox;

struct EventLoopMailbox {
  static constexpr uint32_t kCapacity = 8;
  std::vector<int32_t> words = std::vector<int32_t>(kHeaderWords + kCapacity * kRecordWords);
  EventLoopMailbox() {
    pvg::MailboxRef::initialize(words.data(), words.size(), kCapacity);
    std::atomic_ref<int32_t>(words[kParkModeWord]).store(kParkModeEventLoop);
  }
  int32_t* doorbell() { return words.data() + kDoorbellStateWord; }
};

uint64_t drain(int fd) {
  eventfd_t n = 0;
  return eventfd_read(fd, &n) == 0 ? n : 0;
}
}  // namespace

PVG_TEST("event-loop doorbell: a ring writes the published eventfd; none is published, none rings") {
  EventLoopMailbox m;
  PVG_CHECK(!pvg::ringEventLoop(m.words.data()));
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  PVG_CHECK(fd >= 0);
  pvg::publishEventLoopFd(m.words.data(), fd);
  PVG_CHECK(pvg::ringEventLoop(m.words.data()));
  PVG_CHECK(pvg::ringEventLoop(m.words.data()));
  PVG_CHECK(drain(fd) == 2);
  pvg::retireEventLoopFd(m.words.data());
  PVG_CHECK(!pvg::ringEventLoop(m.words.data()));
  PVG_CHECK(drain(fd) == 0);
  ::close(fd);
}

PVG_TEST("event-loop doorbell: once retire returned, no ring writes the eventfd, whatever rings meanwhile") {
  // Four ringing threads with random pauses while the consumer publishes and retires, 200 times.
  for (int round = 0; round < 200; ++round) {
    EventLoopMailbox m;
    std::atomic<bool> stop{false};
    std::vector<std::thread> ringers;
    for (int t = 0; t < 4; ++t) {
      ringers.emplace_back([&, t] {
        pvg::Rng rng(static_cast<uint64_t>(round) * 7 + static_cast<uint64_t>(t) + 1);
        while (!stop.load()) {
          pvg::ringEventLoop(m.words.data());
          if (rng.below(4) == 0) std::this_thread::yield();
        }
      });
    }
    const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pvg::publishEventLoopFd(m.words.data(), fd);
    std::this_thread::yield();
    pvg::retireEventLoopFd(m.words.data());
    drain(fd);
    std::this_thread::yield();
    PVG_CHECK(drain(fd) == 0);  // nothing written after retire returned
    stop.store(true);
    for (auto& r : ringers) r.join();
    PVG_CHECK(drain(fd) == 0);
    ::close(fd);
  }
}

PVG_TEST("mailbox in park mode EventLoop: a native producer rings a parked consumer's eventfd, not a running one's") {
  EventLoopMailbox m;
  auto box = pvg::MailboxRef::attach(m.words.data(), m.words.size());
  PVG_CHECK(box.has_value());
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  pvg::publishEventLoopFd(m.words.data(), fd);
  const std::array<uint32_t, 1> args{7};
  PVG_CHECK(box->enqueue(1, args) == pvg::EnqueueResult::Ok);
  PVG_CHECK(drain(fd) == 0);  // running: not rung
  std::atomic_ref<int32_t>(*m.doorbell()).store(kDoorbellParked);
  PVG_CHECK(box->enqueue(1, args) == pvg::EnqueueResult::Ok);
  PVG_CHECK(box->enqueue(1, args) == pvg::EnqueueResult::Ok);
  PVG_CHECK(drain(fd) == 1);   // rung once: the first ring set it running
  box->close(kCloseShutdown);  // closing rings too
  PVG_CHECK(drain(fd) == 1);
  pvg::retireEventLoopFd(m.words.data());
  ::close(fd);
}
