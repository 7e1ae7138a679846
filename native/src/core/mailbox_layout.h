// A mailbox SAB's size; its word offsets are generated from abi/schema (abi/mailbox_layout.h).
#pragma once
#include <cstdint>

#include "abi/mailbox_layout.h"

namespace pvg::mailbox {
inline constexpr uint64_t bytesFor(uint32_t capacity) { return (uint64_t{kHeaderWords} + uint64_t{capacity} * kRecordWords) * 4; }
}  // namespace pvg::mailbox
