// Word offsets of a reply-slot table. Mirrors shared/reply/layout.ts (docs/shared-memory.md).
#pragma once
#include <cstdint>

namespace pvg::reply {
inline constexpr int32_t kMagic = 0x52504C59;
inline constexpr uint32_t kHeaderBytes = 64;
inline constexpr uint32_t kStateWord = 0;
inline constexpr uint32_t kParkedWord = 1;
inline constexpr uint32_t kErrorCodeWord = 2;
inline constexpr uint32_t kRequestIdWord = 3;
inline constexpr uint32_t kValuesWord = 4;
inline constexpr uint32_t kValueWords = 12;
inline constexpr int32_t kIdle = 0;
inline constexpr int32_t kPending = 1;
inline constexpr int32_t kReplied = 2;
inline constexpr int32_t kError = 3;
// A responder holds the slot (CAS from pending) while it checks the id and writes the values;
// a stale responder puts it back to pending. begin() waits out a claimed slot.
inline constexpr int32_t kClaimed = 4;
inline constexpr uint32_t kTableMagicWord = 0;
inline constexpr uint32_t kTableSlotCountWord = 1;
inline constexpr uint32_t kTablePayloadBytesWord = 2;

inline constexpr uint64_t slotBytes(uint32_t payloadBytes) { return uint64_t{kHeaderBytes} + payloadBytes; }
inline constexpr uint64_t tableBytes(uint32_t slots, uint32_t payloadBytes) { return (uint64_t{slots} + 1) * slotBytes(payloadBytes); }
}  // namespace pvg::reply
