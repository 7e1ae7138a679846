// Regression tests for what the fuzzing work found (docs/fuzzing.md, "Findings"). They reuse the
// fuzz harnesses' rig (native/fuzz/: a SoftEngine with a synchronous fake host, MMIO as one
// vCPU) so a finding is replayed the way it was met; the rig aborts on a broken invariant.
#include <cstdint>
#include <cstring>

#include "../fuzz/guest_ring.h"
#include "../fuzz/prelude.h"
#include "../fuzz/rig.h"
#include "harness.h"
#include "test_support.h"

using namespace pvg::fuzz;

// Finding 1: once a pass had dropped the executor's "scheduled" flag, its job went on reading
// display state (mode, damage, drawn-since-present) to decide whether to run another pass, while
// a doorbell could already have started a second executor job drawing on that display: a data
// race (TSan), two executor jobs at once. Back-to-back doorbells with an encode held (drawn since
// the last present) make the window wide; the held encode must still wait for the present, and
// encodes asked for while passes run must all be answered.
PVG_TEST("fuzz finding 1: the executor's tail reads no display state while another pass may run") {
  const int rounds = pvg::test::kUnderTsan ? 40 : 10;  // under TSan each round catches the race ~1 time in 9
  for (int round = 0; round < rounds; ++round) {
    Rig rig(HostOptions{});
    GuestRing ring(rig);
    PVG_REQUIRE(ring.start(kRingGpa, 1 << 20));
    const uint32_t setMode[3] = {(3u << 16) | P::OpSetMode, 0, 0};
    const uint32_t fill[7] = {(7u << 16) | P::OpFillRect, 0, 0, 0, 4, 4, 0xFF000000u};
    ring.put(setMode);
    ring.put(fill);
    ring.ring();
    rig.encode(0, 0, 1, {0, 0, 96, 64});  // held: drawn since the last present

    // Doorbells back to back, without waiting: each can start a pass while the last one ends.
    uint32_t tail = ring.tail();
    const uint32_t payload = ring.payload();
    for (int i = 0; i < 1500; ++i) {
      std::memcpy(rig.ram(kRingGpa + P::kRingHeaderBytes + tail), fill, sizeof fill);
      tail = (tail + sizeof fill) % payload;
      rig.setReg(P::RegDoorbell, tail);
    }
    rig.doorbell(tail, payload);
    PVG_CHECK(rig.host().encodesDone(0) == 0);  // still held: nothing presented yet

    // The present brings it; then encodes asked for while doorbells keep passes running.
    const uint32_t present[3] = {(3u << 16) | P::OpPresent, 0, 0};
    std::memcpy(rig.ram(kRingGpa + P::kRingHeaderBytes + tail), present, sizeof present);
    tail = (tail + sizeof present) % payload;
    rig.doorbell(tail, payload);
    PVG_CHECK(rig.host().waitEncodes(0, kStepLimit));
    PVG_CHECK(rig.host().lastEncode().status == rec::EncodeOk);
    for (uint32_t i = 0; i < 200; ++i) {
      std::memcpy(rig.ram(kRingGpa + P::kRingHeaderBytes + tail), present, sizeof present);
      tail = (tail + sizeof present) % payload;
      rig.setReg(P::RegDoorbell, tail);
      rig.encode(0, i % 2, 1, {0, 0, 96, 64});
    }
    rig.doorbell(tail, payload);
    // A present serves one waiting encode: present until every request has its answer.
    for (int k = 0; k < 300 && rig.host().encodesDone(0) < 201; ++k) {
      std::memcpy(rig.ram(kRingGpa + P::kRingHeaderBytes + tail), present, sizeof present);
      tail = (tail + sizeof present) % payload;
      rig.doorbell(tail, payload);
    }
    PVG_CHECK(rig.host().encodesDone(0) == 201);
    PVG_CHECK(rig.errorTotal() == 0);
  }
}

// The persistent fuzz rig (issue 16 item 8): between inputs the engine is put back with the
// power-on record (rec::InPowerOn), not rebuilt, and Rig::end() aborts on anything left behind.
// An input that leaves everything RESET keeps — contexts and mappings, a running ring, a mode and
// its frame, a shown and moved cursor, an encode held for a present, a mapped IOSurface, the
// display and mode selects — must leave a new engine's state: the next input sees CURRENT_MODE
// unset and mode generations starting from 1 again (the fake host checks the generation of each
// mode change against its own count, which begin() restarts).
PVG_TEST("fuzz rig: a power-on between inputs leaves the state of a new engine") {
  Rig rig(HostOptions{});
  for (int input = 0; input < 3; ++input) {
    rig.begin(HostOptions{});
    PVG_CHECK(rig.reg(P::RegCurrentMode) == 0xFFFFFFFFu);
    PVG_CHECK(rig.reg(P::RegDisplaySelect) == 0 && rig.reg(P::RegModeSelect) == 0);
    GuestRing ring(rig);
    PVG_REQUIRE(ring.start(kRingGpa, 64 * 1024));
    prelude(rig, ring);  // contexts 1 and 2 with mappings, mode 0, IOSurface 0 mapped
    const uint32_t commands[] = {
        (3u << 16) | P::OpCursorShow, 0, 1, (4u << 16) | P::OpCursorMove, 0, 5, 7, (7u << 16) | P::OpFillRect, 0, 0, 0, 4, 4, 0xFF00FF00u};
    ring.put(commands);
    ring.ring();
    rig.encode(0, 0, 1, {0, 0, 96, 64});  // held: drawn since the last present
    rig.barrier();
    PVG_CHECK(rig.host().encodesDone(0) == 0);
    rig.setReg(P::RegDisplaySelect, 1);
    rig.setReg(P::RegModeSelect, 2);
    PVG_CHECK(rig.reg(P::RegCurrentMode) == 0xFFFFFFFFu);  // display 1 has no mode
    PVG_CHECK(rig.host().liveTasks() == 3 && rig.host().surfacesMapped() == 1);
    PVG_CHECK(rig.engine().cursorX(0) == 5 && rig.engine().cursorY(0) == 7);
    rig.end();  // aborts, naming the leftover, unless the power-on cleared all of it
    PVG_CHECK(rig.host().encodesDone(0) == 1 && rig.host().lastEncode().status == rec::EncodeNoMode);  // answered as a new engine would
    PVG_CHECK(rig.host().liveTasks() == 0 && rig.engine().cursorX(0) == 0);
    PVG_CHECK(rig.reg(P::RegDisplaySelect) == 0 && rig.reg(P::RegCurrentMode) == 0xFFFFFFFFu);
  }
}
