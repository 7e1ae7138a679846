// Byte layout of a trace-ring set. Mirrors shared/trace/layout.ts (docs/shared-memory.md).
#pragma once
#include <cstdint>

namespace pvg::trace {
inline constexpr int32_t kMagic = 0x54524143;
inline constexpr uint32_t kSetHeaderBytes = 64;
inline constexpr uint32_t kRingHeaderBytes = 64;
inline constexpr uint32_t kEventBytes = 48;
inline constexpr uint32_t kSetMagicWord = 0;
inline constexpr uint32_t kSetRingCountWord = 1;
inline constexpr uint32_t kSetEventsPerRingWord = 2;
inline constexpr uint32_t kSetPausedWord = 3;  // non-zero: writers drop their events
inline constexpr uint32_t kRingWrittenWord = 0;
inline constexpr uint32_t kRingThreadIdWord = 1;
inline constexpr uint32_t kRingDroppedOnReadWord = 2;
inline constexpr uint32_t kEventTimestampByte = 0;
inline constexpr uint32_t kEventDurationByte = 8;
inline constexpr uint32_t kEventArg0Byte = 16;
inline constexpr uint32_t kEventArg1Byte = 24;
inline constexpr uint32_t kEventArg2Byte = 32;
inline constexpr uint32_t kEventSequenceByte = 40;
inline constexpr uint32_t kEventIdByte = 44;
inline constexpr uint32_t kEventPhaseByte = 46;

enum class Phase : uint8_t { Begin = 1, End = 2, Complete = 3, Instant = 4, Counter = 5, FlowStart = 6, FlowEnd = 7, FlowStep = 8 };

inline constexpr uint64_t ringBytes(uint32_t eventsPerRing) { return uint64_t{kRingHeaderBytes} + uint64_t{eventsPerRing} * kEventBytes; }
inline constexpr uint64_t setBytes(uint32_t rings, uint32_t eventsPerRing) { return uint64_t{kSetHeaderBytes} + uint64_t{rings} * ringBytes(eventsPerRing); }
}  // namespace pvg::trace
