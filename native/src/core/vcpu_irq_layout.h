// Word offsets of a vCPU's interrupt state, as shared/irq/layout.ts defines them
// (test/shared/layout.test.ts checks the two agree; docs/interrupts.md describes the protocol).
#pragma once
#include <cstdint>

namespace pvg::irq {
inline constexpr int32_t kMagic = 0x56495251;  // "VIRQ"
inline constexpr uint32_t kSequenceWord = 0;
inline constexpr uint32_t kParkedWord = 1;
inline constexpr uint32_t kStopWord = 2;
inline constexpr uint32_t kMagicWord = 3;
inline constexpr uint32_t kWakesWord = 4;
inline constexpr uint32_t kParksWord = 5;
/** The kernel thread id of a hardware vCPU while it is inside KVM_RUN (0 otherwise): deliverers kick it. */
inline constexpr uint32_t kKickThreadWord = 6;
/** 1 while vm.pause() asks the vCPU to stop at its next step boundary (the JS side reads it). */
inline constexpr uint32_t kPauseWord = 7;
inline constexpr uint32_t kPendingWord = 8;
inline constexpr uint32_t kPendingWords = 8;
inline constexpr uint32_t kWords = 16;
}  // namespace pvg::irq
