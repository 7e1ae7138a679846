// SoftEngine::saveState()/loadState() (engine_state.h): a state saved after driving the engine
// loads into a powered-on engine, saves back to the same bytes, and the engine then continues
// exactly as the one it was saved from; every corrupted part is refused with the engine left at
// power-on. Driven through the fuzz harnesses' rig (native/fuzz/rig.h: a SoftEngine with a
// synchronous fake host, MMIO as one vCPU).
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../fuzz/engine_state.h"
#include "../fuzz/guest_ring.h"
#include "../fuzz/prelude.h"
#include "../fuzz/rig.h"
#include "harness.h"
#include "test_support.h"

using namespace pvg::fuzz;
using pvg::engine::EngineStateError;

namespace {
constexpr uint32_t cmd(uint32_t words, uint32_t op) { return (words << 16) | op; }

// Contexts, mappings, a mode, an IOSurface, drawing from all three sources, damage, the cursor,
// a fence, a frame drawn but not presented, registers and an error the guest has not acknowledged.
void firstPart(Rig& rig, GuestRing& ring) {
  prelude(rig, ring);
  const uint32_t commands[] = {
      cmd(7, P::OpFillRect),
      0,
      10,
      10,
      20,
      20,
      0xFF00FF00u,  // fill
      cmd(11, P::OpBlit),
      0,
      1,
      0,
      0,
      256,
      30,
      5,
      64,
      40,
      0,  // the gradient from context 1
      cmd(10, P::OpBlitSurface),
      0,
      0,
      4,
      4,
      50,
      30,
      32,
      16,
      1,  // IOSurface 0, blended
      cmd(7, P::OpPresent),
      0,
      1,
      0,
      0,
      96,
      64,  // damage: one rectangle
      cmd(3, P::OpCursorShow),
      0,
      1,
      cmd(4, P::OpCursorMove),
      0,
      17,
      0xFFFFFFFBu,  // cursor at (17, -5)
      cmd(3, P::OpFence),
      41,
      1,  // fence with its interrupt
      cmd(8, P::OpCopyRect),
      0,
      60,
      0,
      0,
      0,
      30,
      30,  // drawn, not presented
  };
  rig.setReg(P::RegIrqMask, P::IrqFence | P::IrqRingIdle);
  ring.put(commands);
  ring.ring();
  rig.setReg(P::RegDisplaySelect, 1);
  rig.setReg(P::RegModeSelect, 3);
  rig.setReg(0x3FFC, 1);  // no register: an error the guest has not acknowledged
  mapSurface(rig, 5, kSurfaceGpa, 16, 16, 64);
}

// Goes on from there: draws on every source, presents, changes mode, destroys a context, unmaps.
void secondPart(Rig& rig, GuestRing& ring) {
  const uint32_t commands[] = {
      cmd(7, P::OpFillRect),
      0,
      0,
      0,
      8,
      8,
      0xFFFF0000u,
      cmd(3, P::OpPresent),
      0,
      0,
      cmd(11, P::OpBlit),
      0,
      1,
      0,
      0,
      256,
      0,
      0,
      64,
      64,
      1,
      cmd(10, P::OpBlitSurface),
      0,
      5,
      0,
      0,
      70,
      40,
      16,
      16,
      0,
      cmd(7, P::OpPresent),
      0,
      1,
      60,
      0,
      36,
      64,
      cmd(3, P::OpFence),
      42,
      1,
      cmd(3, P::OpSetMode),
      0,
      1,
      cmd(7, P::OpFillRect),
      0,
      1,
      1,
      10,
      10,
      0xFF123456u,
      cmd(2, P::OpCtxDestroy),
      2,
      cmd(6, P::OpUnmap),
      1,
      0,
      0,
      0x10000,
      0,
      cmd(3, P::OpPresent),
      0,
      0,
  };
  ring.put(commands);
  ring.ring();
  rig.setReg(P::RegErrorAck, 0);
}

std::vector<uint8_t> ramCopy(Rig& rig) { return std::vector<uint8_t>(rig.ram(kRamBase), rig.ram(kRamBase) + kRamBytes); }

// A new input's engine and host: powered on, guest memory and host as at the start.
void fresh(Rig& rig) {
  rig.powerOn();
  rig.begin(HostOptions{});
}

std::vector<uint8_t> drivenState(Rig& rig) {
  fresh(rig);
  GuestRing ring(rig);
  PVG_REQUIRE(ring.start(kRingGpa, 64 * 1024));
  firstPart(rig, ring);
  return rig.engine().saveState();
}

template <typename T>
void poke(std::vector<uint8_t>& bytes, size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}
}  // namespace

PVG_TEST("engine state: saved after driving, loaded into a powered-on engine, continues exactly as the original") {
  Rig rig(HostOptions{});  // its own: a rig owns the machine's mailbox while it lives (not Rig::shared(), which would outlive this test)

  // One first part, saved; then its uninterrupted continuation on the same engine. (Two separate
  // first parts could differ: the prelude creates two contexts in one ring pass, whose task
  // callbacks run in lanes in an order the threads decide, so the host numbers their tasks either
  // way; under ASan the second run numbered them the other way round.)
  fresh(rig);
  GuestRing ring(rig);
  PVG_REQUIRE(ring.start(kRingGpa, 64 * 1024));
  firstPart(rig, ring);
  const std::vector<uint8_t> saved = rig.engine().saveState();
  const std::vector<uint8_t> ram = ramCopy(rig);
  const uint32_t fence = rig.reg(P::RegFenceCompleted), errors = rig.reg(P::RegErrorCount);
  GuestRing resumed = ring;  // where the guest's ring writer stood at the save
  secondPart(rig, ring);
  const std::vector<uint8_t> uninterrupted = rig.engine().saveState();
  const std::vector<uint8_t> ramUninterrupted = ramCopy(rig);

  // Interrupted: power-on, the saved RAM and state loaded, the second part.
  fresh(rig);
  std::memcpy(rig.ram(kRamBase), ram.data(), ram.size());  // the snapshot's RAM section
  const EngineStateError error = loadState(rig, saved);
  PVG_REQUIRE(error.ok());
  PVG_CHECK(rig.engine().saveState() == saved);
  // What the guest reads back is what it left.
  PVG_CHECK(rig.reg(P::RegFenceCompleted) == fence && fence == 41);
  PVG_CHECK(rig.reg(P::RegErrorCount) == errors && errors >= 1);
  PVG_CHECK((rig.reg(P::RegStatus) & (P::StatusRunning | P::StatusError)) == (P::StatusRunning | P::StatusError));
  PVG_CHECK(rig.reg(P::RegDisplaySelect) == 1 && rig.reg(P::RegModeSelect) == 3);
  PVG_CHECK(rig.iosfc(P::IosfcMapped) == 0x21);
  PVG_CHECK(rig.engine().cursorX(0) == 17 && rig.engine().cursorY(0) == -5);
  secondPart(rig, resumed);
  PVG_CHECK(rig.engine().saveState() == uninterrupted);
  PVG_CHECK(ramCopy(rig) == ramUninterrupted);
  rig.end();  // a power-on from the loaded engine leaves nothing behind (host tasks, surfaces, memory)
}

PVG_TEST("engine state: a state with no mode, ring or context (a new engine's) round-trips") {
  Rig rig(HostOptions{});  // its own: a rig owns the machine's mailbox while it lives (not Rig::shared(), which would outlive this test)
  fresh(rig);
  const std::vector<uint8_t> blank = rig.engine().saveState();
  fresh(rig);
  PVG_CHECK(loadState(rig, blank).ok());
  PVG_CHECK(rig.engine().saveState() == blank);
  rig.end();
}

PVG_TEST("engine state: loads only into an engine at power-on") {
  Rig rig(HostOptions{});  // its own: a rig owns the machine's mailbox while it lives (not Rig::shared(), which would outlive this test)
  const std::vector<uint8_t> saved = drivenState(rig);
  const std::vector<uint8_t> before = rig.engine().saveState();
  const EngineStateError error = rig.engine().loadState(saved);
  PVG_CHECK(error.part == "engine");
  PVG_CHECK(rig.engine().saveState() == before);  // untouched
  // The power-on takes apart what the engine holds (the host checks every task and surface it is
  // given back); not end(): this test's vectors, made after begin(), would fail its heap check.
  rig.powerOn();
  rig.host().checkIdle();
}

PVG_TEST("engine state: every corrupted part is refused, naming it, with the engine left at power-on") {
  Rig rig(HostOptions{});  // its own: a rig owns the machine's mailbox while it lives (not Rig::shared(), which would outlive this test)
  const std::vector<uint8_t> saved = drivenState(rig);
  fresh(rig);
  const std::vector<uint8_t> clean = rig.engine().saveState();
  EngineStateError decodeError;
  const auto decoded = pvg::engine::decodeEngineState(saved, rigStateLimits(), &decodeError);
  PVG_REQUIRE(decoded.has_value());
  // Offsets into the layout (engine_state.cpp): header 16 bytes, registers 48, ring 12, contexts.
  const size_t registers = 16, ring = registers + 48, contexts = ring + 12;
  const size_t tasks = contexts + 4 + 16 * decoded->contexts.size();
  size_t display0 = tasks + 4;
  for (const auto& t : decoded->tasks) display0 += 16 + 28 * t.mappings.size();
  const size_t firstMapping = tasks + 4 + 16;          // the first task's first mapping
  const size_t iosfc = saved.size() - (24 + 32 * 28);  // 32 surfaces of 28 bytes

  struct Case {
    const char* what;
    size_t at;
    uint64_t value;
    int bytes;
    const char* part;
  };
  const Case cases[] = {
      {"magic", 0, 0x12345678, 4, "header"},
      {"version", 4, 2, 4, "header"},
      {"display count", 8, 3, 4, "header"},
      {"iosfc flag", 12, 0, 4, "header"},
      {"error code", registers, 99, 4, "registers"},
      {"IRQ status", registers + 8, 0x80, 4, "registers"},
      {"IRQ mask", registers + 12, 0x100, 4, "registers"},
      {"doorbell outside the ring", registers + 32, 1u << 20, 4, "ring"},
      {"head unaligned", registers + 36, 2, 4, "ring"},
      {"ring running flag", ring, 7, 4, "ring"},
      {"ring payload not a power of two less the header", ring + 8, 5000, 4, "ring"},
      {"context count huge", contexts, 0xFFFFFFFF, 4, "contexts"},
      {"context number 0", contexts + 4, 0, 4, "contexts"},
      {"context size unaligned", contexts + 12, 4097, 8, "contexts"},
      {"context size over the limit", contexts + 12, 1ull << 40, 8, "contexts"},
      {"task count", tasks, 1, 4, "tasks"},
      {"task id owned by nobody", tasks + 4, 999, 4, "tasks"},
      {"task size", tasks + 8, 8192, 8, "tasks"},
      {"mapping count huge", tasks + 16, 0x7FFFFFFF, 4, "tasks"},
      {"mapping outside guest memory", firstMapping + 8, 0x10, 8, "tasks"},
      {"mapping of 0 bytes", firstMapping + 16, 0, 8, "tasks"},
      {"mapping past the task", firstMapping + 16, 1ull << 30, 8, "tasks"},
      {"mapping read-only flag", firstMapping + 24, 2, 4, "tasks"},
      {"mode that does not exist", display0, 9, 4, "display 0"},
      {"mode below -1", display0, 0xFFFFFFF0u, 4, "display 0"},
      {"generation 0 with a mode", display0 + 4, 0, 4, "display 0"},
      {"display flags", display0 + 12, 4, 4, "display 0"},
      {"damage count", display0 + 24, 17, 4, "display 0"},
      {"damage rectangle outside", display0 + 28, 1000, 4, "display 0"},
      {"iosfc select", iosfc, 32, 4, "iosfc"},
      {"iosfc error code", iosfc + 4, 13, 4, "iosfc"},
      {"iosfc IRQ mask", iosfc + 12, 2, 4, "iosfc"},
      {"iosfc mapped surface outside guest memory", iosfc + 24, 0x10, 8, "iosfc"},
      {"iosfc mapped surface with no width", iosfc + 24 + 8, 0, 4, "iosfc"},
      {"iosfc surface flags", iosfc + 24 + 28 + 20, 2, 4, "iosfc"},
      {"iosfc mapped flag", iosfc + 24 + 28 + 24, 3, 4, "iosfc"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bad = saved;
    if (c.bytes == 4)
      poke(bad, c.at, static_cast<uint32_t>(c.value));
    else
      poke(bad, c.at, c.value);
    const EngineStateError error = rig.engine().loadState(bad);
    if (error.part != c.part) std::fprintf(stderr, "case %s: refused in '%s' (%s), expected '%s'\n", c.what, error.part.c_str(), error.reason.c_str(), c.part);
    PVG_CHECK(error.part == c.part);
    PVG_CHECK(!error.reason.empty());
    PVG_CHECK(rig.engine().saveState() == clean);
  }
  // Every strict prefix is truncated; a byte more is refused at the end.
  for (size_t n = 0; n < saved.size(); n += (n < iosfc + 64 ? 1 : 97)) {
    const EngineStateError error = rig.engine().loadState(std::span(saved.data(), n));
    PVG_CHECK(!error.ok());
  }
  std::vector<uint8_t> longer = saved;
  longer.push_back(0);
  PVG_CHECK(rig.engine().loadState(longer).part == "end");
  PVG_CHECK(rig.engine().saveState() == clean);

  // Random bit flips: refused, or (a field that takes any value) loaded and saved back as given.
  std::mt19937 rng(19);
  int loaded = 0;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> bad = saved;
    const size_t at = rng() % bad.size();
    bad[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    if (loadState(rig, bad).ok()) {
      ++loaded;
      PVG_CHECK(rig.engine().saveState() == bad);
      fresh(rig);
    } else {
      PVG_CHECK(rig.engine().saveState() == clean);
    }
  }
  PVG_CHECK(loaded > 0);  // pixels and free registers take any value
  // The power-on takes apart what the engine holds (the host checks every task and surface it is
  // given back); not end(): this test's vectors, made after begin(), would fail its heap check.
  rig.powerOn();
  rig.host().checkIdle();
}
