// The doorbell of a mailbox whose consumer is a JavaScript event loop (park mode EventLoop,
// docs/doorbells.md "Event-loop consumers"). Such a consumer parks in its loop, not in the kernel:
// a futex wake cannot reach it, and V8's Atomics.waitAsync answers only Atomics.notify, never a
// native thread. So it publishes an eventfd in the mailbox header, which its loop polls, and a
// ringing thread writes to it. A file descriptor is process-wide: any thread of any module rings
// it (the engine in one addon, test producers in another) with no table to share.
#pragma once
#include <cstdint>

namespace pvg {
// Producer side: wakes the event-loop consumer of the mailbox whose words start at `words`;
// false if it has published no eventfd (the caller then wakes the futex).
bool ringEventLoop(int32_t* words);

// Consumer side: publishes `fd` (an eventfd) as the mailbox's event-loop doorbell.
void publishEventLoopFd(int32_t* words, int fd);
// Unpublishes it and waits until no producer is writing to it: the caller may then close it.
void retireEventLoopFd(int32_t* words);
}  // namespace pvg
