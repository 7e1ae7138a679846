#include "kvm/vcpu_kick.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "kvm/kvm_system.h"

namespace pvg::kvm {
namespace {
void ignoreKick(int) {}
}  // namespace

int kickSignal() {
  // SIGRTMIN and SIGRTMIN+1 are glibc's own; Node and V8 use none of the real-time signals.
  static const int signal = SIGRTMIN + 4;
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction action {};
    action.sa_handler = ignoreKick;
    sigemptyset(&action.sa_mask);
    // SA_RESTART: a stray kick (a reused thread id) restarts other threads' system calls;
    // KVM_RUN returns EINTR regardless.
    action.sa_flags = SA_RESTART;
    sigaction(signal, &action, nullptr);
  });
  return signal;
}

void blockKickSignalOnThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kickSignal());
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void eatKicks() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kickSignal());
  timespec zero{};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
}

bool kickThread(int32_t tid) {
  if (tid <= 0) return false;
  return ::syscall(SYS_tgkill, ::getpid(), tid, kickSignal()) == 0;
}

SliceTimer::SliceTimer(pid_t tid, double periodMs) {
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = kickSignal();
#ifdef sigev_notify_thread_id
  event.sigev_notify_thread_id = tid;
#else
  event._sigev_un._tid = tid;
#endif
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) throw KvmError("timer_create: " + errnoText(errno));
  timer_ = timer;
  auto ns = static_cast<long>(periodMs * 1e6);
  itimerspec spec{};
  spec.it_interval.tv_sec = ns / 1'000'000'000;
  spec.it_interval.tv_nsec = ns % 1'000'000'000;
  spec.it_value = spec.it_interval;
  if (timer_settime(timer, 0, &spec, nullptr) != 0) {
    timer_delete(timer);
    throw KvmError("timer_settime: " + errnoText(errno));
  }
  armed_ = true;
}

SliceTimer::~SliceTimer() {
  if (armed_) timer_delete(static_cast<timer_t>(timer_));
}
}  // namespace pvg::kvm
