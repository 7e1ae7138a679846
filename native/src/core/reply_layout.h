// A reply-slot table's sizes; its word offsets are generated from abi/schema (abi/reply_layout.h).
#pragma once
#include <cstdint>

#include "abi/reply_layout.h"

namespace pvg::reply {
inline constexpr uint64_t slotBytes(uint32_t payloadBytes) { return uint64_t{kHeaderBytes} + payloadBytes; }
inline constexpr uint64_t tableBytes(uint32_t slots, uint32_t payloadBytes) { return (uint64_t{slots} + 1) * slotBytes(payloadBytes); }
}  // namespace pvg::reply
