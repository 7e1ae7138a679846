// Fuzz target `engine-state`: SoftEngine::loadState() on hostile bytes (a snapshot file's engine
// section, docs/snapshots.md), and the engine running on from whatever it accepts.
//
// Input: the config byte (host options, as every target), then a form byte:
//   even  raw: the rest of the input is the state (small modes exist: display 0's 1x1, display
//         1's 16x8, so whole states with frames fit in an input)
//   odd   patched: the engine is driven (ring, the prelude: contexts, mappings, mode 0, IOSurface
//         0 mapped; a fill and a present), its state saved, the engine powered on, then up to 64
//         patches from the input, each an offset u32 (modulo the size) and a kind byte: 0 xor a
//         byte, 1 set a u32, 2 set a u64, 3 cut the state there; then the load
// A refused state must leave the engine exactly at power-on (its saved state equal to a new
// engine's). An accepted one must save back to the same bytes, answer every register, and run:
// the ring is restarted and commands use every restored context, IOSurface and the frame; an
// encode is asked. end() then powers the engine on and checks it holds nothing (tasks, surfaces,
// encodes, heap) — so a loaded state the power-on cannot take apart is a finding too.
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/engine_state.h"
#include "fuzz/guest_ring.h"
#include "fuzz/input.h"
#include "fuzz/prelude.h"
#include "fuzz/rig.h"

using namespace pvg::fuzz;

namespace {
constexpr uint32_t cmd(uint32_t words, uint32_t op) { return (words << 16) | op; }

std::vector<uint8_t> drivenState(Rig& rig) {
  GuestRing ring(rig);
  if (ring.start(kRingGpa, 64 * 1024)) {
    prelude(rig, ring);
    const uint32_t draw[] = {cmd(7, P::OpFillRect), 0, 1, 2, 30, 20, 0xFF336699u, cmd(7, P::OpPresent), 0, 1, 0, 0, 40, 30, cmd(3, P::OpCursorShow), 0, 1};
    ring.put(draw);
    ring.ring();
  }
  std::vector<uint8_t> state = rig.engine().saveState();
  rig.powerOn();
  return state;
}

void patch(std::vector<uint8_t>& state, Input& in) {
  for (int i = 0; i < 64 && !in.empty() && !state.empty(); ++i) {
    const size_t at = in.u32() % state.size();
    switch (in.u8() % 4) {
      case 0:
        state[at] ^= in.u8();
        break;
      case 1: {
        const uint32_t v = in.u32();
        std::memcpy(state.data() + at, &v, std::min<size_t>(4, state.size() - at));
        break;
      }
      case 2: {
        const uint64_t v = in.u64();
        std::memcpy(state.data() + at, &v, std::min<size_t>(8, state.size() - at));
        break;
      }
      default:
        state.resize(at);
        break;
    }
  }
}

// The loaded engine runs: every register read, then a new ring whose commands use what was restored.
void runOn(Rig& rig) {
  for (uint32_t offset = 0; offset < 0x94; offset += 4) (void)rig.reg(offset);
  for (uint32_t offset = 0; offset < 0x4C; offset += 4) (void)rig.iosfc(offset);
  rig.setReg(P::RegRingControl, 0);
  GuestRing ring(rig);
  if (!ring.start(kRingGpa, 64 * 1024)) return;
  for (uint32_t s = 0; s < P::kIosfcSurfaces; ++s) {
    const uint32_t blit[] = {cmd(10, P::OpBlitSurface), 0, s, 0, 0, s, s, 8, 8, s & 1};
    ring.put(blit);
  }
  for (uint32_t ctx = 1; ctx <= 4; ++ctx) {
    const uint32_t blit[] = {cmd(11, P::OpBlit), 0, ctx, 0, 0, 256, 1, 1, 16, 16, 0};
    ring.put(blit);
  }
  const uint32_t more[] = {cmd(8, P::OpCopyRect), 0, 0, 0, 1, 1, 4, 4, cmd(3, P::OpPresent), 0, 0, cmd(3, P::OpPresent), 1, 0, cmd(3, P::OpFence), 5, 1};
  ring.put(more);
  ring.ring();
  rig.encode(0, 0, rig.reg(P::RegCurrentMode) == 0xFFFFFFFFu ? 0 : 1, {0, 0, 1, 1});
  rig.barrier();
}

void fuzzOne(Rig& rig, Input& in) {
  const uint8_t form = in.u8();
  std::vector<uint8_t> state;
  if (form & 1) {
    state = drivenState(rig);
    patch(state, in);
  } else {
    state.resize(in.left());
    for (uint8_t& b : state) b = in.u8();
  }
  const std::vector<uint8_t> clean = rig.engine().saveState();
  if (!loadState(rig, state).ok()) {
    FUZZ_CHECK(rig.engine().saveState() == clean, "a refused state changed the engine");
    return;
  }
  FUZZ_CHECK(rig.engine().saveState() == state, "an accepted state saves back differently");
  runOn(rig);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return runOneInput(data, size, [](Rig& rig, Input& in, uint8_t) { fuzzOne(rig, in); });
}
