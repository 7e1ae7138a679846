// Getting a vCPU thread out of KVM_RUN. One real-time signal, blocked on the vCPU thread
// except inside KVM_RUN (KVM_SET_SIGNAL_MASK): a kick that lands while the thread runs guest
// code ends KVM_RUN with EINTR; one that lands outside stays pending and ends the next KVM_RUN
// at once, so no kick is ever lost between the check and the entry. After an EINTR the vCPU
// takes the pending kicks (sigtimedwait), as QEMU does. The handler does nothing;
// it exists so the signal never takes its default action (terminating the process).
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace pvg::kvm {
/** The signal used for kicks (installs its no-op handler on first use, process-wide). */
int kickSignal();

/** Blocks the kick signal on the calling thread (KvmVcpu unblocks it inside KVM_RUN only). */
void blockKickSignalOnThisThread();

/**
 * Takes every kick pending on the calling thread (kicks are blocked outside KVM_RUN, so one that
 * ended KVM_RUN is still pending afterwards and would end every later entry at once).
 */
void eatKicks();

/** Sends a kick to thread `tid` of this process. False if the thread no longer exists. */
bool kickThread(int32_t tid);

/**
 * A periodic kick of one thread (a POSIX timer signalling that thread), so KVM_RUN returns at
 * least every `periodMs` even when the guest never exits: the vCPU actor then serves its
 * control plane and sees a stop. Deleted with the object.
 */
class SliceTimer {
 public:
  SliceTimer(pid_t tid, double periodMs);
  ~SliceTimer();
  SliceTimer(const SliceTimer&) = delete;
  SliceTimer& operator=(const SliceTimer&) = delete;

 private:
  void* timer_ = nullptr;
  bool armed_ = false;
};
}  // namespace pvg::kvm
