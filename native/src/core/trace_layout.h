// A trace-ring set's sizes; its byte and word offsets are generated from abi/schema (abi/trace_layout.h).
#pragma once
#include <cstdint>

#include "abi/trace_layout.h"

namespace pvg::trace {
inline constexpr uint64_t ringBytes(uint32_t eventsPerRing) { return uint64_t{kRingHeaderBytes} + uint64_t{eventsPerRing} * kEventBytes; }
inline constexpr uint64_t setBytes(uint32_t rings, uint32_t eventsPerRing) { return uint64_t{kSetHeaderBytes} + uint64_t{rings} * ringBytes(eventsPerRing); }
}  // namespace pvg::trace
