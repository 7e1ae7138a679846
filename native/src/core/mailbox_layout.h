// Word offsets of a mailbox SAB. Mirrors shared/mailbox/layout.ts (docs/shared-memory.md).
#pragma once
#include <cstdint>

namespace pvg::mailbox {
inline constexpr int32_t kMagic = 0x4D424F58;
inline constexpr uint32_t kMagicWord = 0;
inline constexpr uint32_t kCapacityWord = 1;
inline constexpr uint32_t kRecordWordsWord = 2;
inline constexpr uint32_t kClosedWord = 3;
inline constexpr uint32_t kCloseReasonWord = 4;
// How sleepers park: 0 futex (native threads can wake them), 1 V8 Atomics.wait (JS-only pairs;
// a native thread must refuse to attach to such a mailbox).
inline constexpr uint32_t kParkModeWord = 5;
inline constexpr int32_t kParkModeFutex = 0;
inline constexpr int32_t kParkModeAtomics = 1;
// Bumped (then the doorbell rung) when something outside the queue needs the consumer: a
// control-plane message waiting in its event loop. JS consumers only; native code ignores it.
inline constexpr uint32_t kAttentionWord = 6;
inline constexpr uint32_t kTailWord = 16;
inline constexpr uint32_t kHeadWord = 32;
inline constexpr uint32_t kDequeuedLoWord = 33;
inline constexpr uint32_t kDequeuedHiWord = 34;
inline constexpr uint32_t kConsumerParksWord = 35;
inline constexpr uint32_t kDoorbellStateWord = 48;
inline constexpr uint32_t kNotFullWord = 64;
inline constexpr uint32_t kProducersWaitingWord = 65;
inline constexpr uint32_t kProducerWaitsWord = 66;
inline constexpr uint32_t kHeaderWords = 128;
inline constexpr uint32_t kRecordWords = 16;
inline constexpr uint32_t kRecordArgs = kRecordWords - 2;
inline constexpr int32_t kDoorbellRunning = 0;
inline constexpr int32_t kDoorbellParked = 1;

inline constexpr uint64_t bytesFor(uint32_t capacity) { return (uint64_t{kHeaderWords} + uint64_t{capacity} * kRecordWords) * 4; }
}  // namespace pvg::mailbox
