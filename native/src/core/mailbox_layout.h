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

inline constexpr uint64_t bytesFor(uint32_t capacity) {
  return (uint64_t{kHeaderWords} + uint64_t{capacity} * kRecordWords) * 4;
}
}  // namespace pvg::mailbox
