// Fuzz target `engine-commands`: ring commands through task memory, as a hostile guest sends them.
// The engine's command processing is fed through the ring (a task mapping of guest RAM) with
// contexts, mappings, a mode and a mapped IOSurface set up, so the deep paths are reachable.
//
// Input: one config byte (bit 0 permissive host, bit 1 a u32 of host refusals follows, bits 2-4
// ring size 4 KiB << (n % 5), bit 7 skip the prelude), then steps, each chosen by one byte:
//   00-BF  a command: opcode kOps[b % 16], arguments decoded by meaning (commands.h)
//   C0-CF  doorbell for everything queued; then the error/status invariants
//   D0-D3  a doorbell the engine must refuse        D4-D7  a doorbell for part of the queue
//   D8-DF  an encode request (display 0, or a display that does not exist)
//   E0-E7  a command with a raw opcode               E8-EB  a guest write into the data area
//   EC     ERROR_ACK    ED  IRQ_ACK    EE  IRQ_MASK  EF     NOPs up to the payload end (wrap)
//   F0-F7  RESET (then the documented state is checked, and ring and prelude start again)
//   F8-FB  ring stop and start                       FC-FF  RING_CONTROL = 1 while running
// At the end: a last doorbell, the invariants, RESET and the post-reset state.
#include <cstdint>
#include <cstring>

#include "fuzz/commands.h"
#include "fuzz/guest_ring.h"
#include "fuzz/input.h"
#include "fuzz/invariants.h"
#include "fuzz/prelude.h"
#include "fuzz/rig.h"

using namespace pvg::fuzz;

namespace {
constexpr int kMaxSteps = 512;

struct Run {
  Rig& rig;
  GuestRing& ring;
  ErrorWatch& errors;
  Input& in;
  uint32_t ringBytes;
  bool withPrelude;

  void restart() {
    if (ring.start(kRingGpa, ringBytes) && withPrelude) prelude(rig, ring);
  }
  void reset() {
    rig.setReg(P::RegReset, P::kResetMagic);
    ring.stopped();
    errors.restart();
    checkAfterReset(rig);
  }
  void doorbell() {
    ring.ring();
    errors.check(ring.payload());
  }

  void step() {
    const uint8_t s = in.u8();
    if (s < 0xC0) {
      ring.put(command(kOps[s % kOps.size()], in));
    } else if (s < 0xD0) {
      doorbell();
    } else if (s < 0xD4) {
      const uint32_t payload = ring.payload();
      const uint32_t bad[4] = {ring.tail() + 2, payload, payload + 4 * in.u8(), 0xFFFFFFFFu};
      rig.doorbell(bad[s & 3], payload);
    } else if (s < 0xD8) {
      ring.ringPart(in.u8());
    } else if (s < 0xE0) {
      const uint32_t display = s & 1 ? 2 : 0;
      const uint32_t surface = in.u8() % 3, generation = in.u8() % 4;
      rig.encode(display, surface, generation, {values::coord(in), values::coord(in), values::coord(in), values::coord(in)});
    } else if (s < 0xE8) {
      ring.put(command(in.u16(), in));
    } else if (s < 0xEC) {
      const uint32_t word = in.u16() % 0x4000, value = in.u32();
      std::memcpy(rig.ram(kDataGpa + 4ull * word), &value, 4);
    } else if (s == 0xEC) {
      rig.setReg(P::RegErrorAck, 0);
      errors.errorAcked();
    } else if (s == 0xED) {
      rig.setReg(P::RegIrqAck, in.u8());
      errors.irqAcked();
    } else if (s == 0xEE) {
      rig.setReg(P::RegIrqMask, in.u8());
    } else if (s == 0xEF) {
      ring.padToEnd(4 * (in.u8() % 4));
    } else if (s < 0xF8) {
      reset();
      restart();
    } else if (s < 0xFC) {
      ring.ring();
      rig.setReg(P::RegRingControl, 0);
      ring.stopped();
      restart();
    } else {
      ring.ring();
      rig.setReg(P::RegRingControl, 1);  // already running: refused with bad-ring-setup
    }
  }
};

// One input; its objects are gone before the rig's end() compares the heap.
void fuzzOne(Rig& rig, Input& in, uint8_t config) {
  ErrorWatch errors(rig);
  GuestRing ring(rig);
  Run run{rig, ring, errors, in, 4096u << (((config >> 2) & 7) % 5), (config & 0x80) == 0};
  run.restart();
  for (int i = 0; i < kMaxSteps && !in.empty(); ++i) run.step();
  run.doorbell();
  checkIdentity(rig);
  run.reset();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return runOneInput(data, size, [](Rig& rig, Input& in, uint8_t config) { fuzzOne(rig, in, config); });
}
