// Fuzz target `iosfc-window`: IOSurface registers, map/unmap and BLIT_SURFACE, checked against a model.
// The IOSurface window (docs/protocol.md §4) — register writes and reads, map and unmap through
// the host, and BLIT_SURFACE from the mapped surfaces — against a model of what every register
// must read as (iosfc_model.h). A copy blit that succeeded is checked pixel by pixel: presented,
// encoded, and compared with the guest's surface memory.
//
// Input: one config byte (bit 0 permissive host, bit 1 a u32 of host refusals follows), then
// steps, each chosen by one byte:
//   00-7F  write register kIosfcRegs[b % 16] with a value decoded for it
//   80-9F  read register kIosfcRegs[b % 16], compared with the model
//   A0-AF  COMMAND (mostly 1 or 2)                   B0-B7  BLIT_SURFACE through the ring
//   B8-BB  SET_MODE on display 0                     BC-BF  a refused access (size, alignment, range)
//   C0-C7  a whole surface description, then map     C8-CB  RESET          CC-CF  the host's reset
//   D0-D3  guest writes into the test surface        D4-FF  every register compared with the model
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/guest_ring.h"
#include "fuzz/input.h"
#include "fuzz/invariants.h"
#include "fuzz/iosfc_model.h"
#include "fuzz/machine.h"
#include "fuzz/registers.h"
#include "fuzz/rig.h"
#include "fuzz/values.h"

using namespace pvg::fuzz;

namespace {
constexpr int kMaxSteps = 512;
struct Run {
  Rig& rig;
  GuestRing& ring;
  ErrorWatch& errors;
  IosfcModel& model;
  Input& in;
  uint32_t mode = 0, generation = 0;  // display 0's, as the commands this harness sent set them

  void write(uint32_t offset, uint32_t value) {
    rig.setIosfc(offset, value);
    model.write(offset, value, rig.host().surfacesMapped());
  }
  void read(uint32_t offset) { model.checkRead(offset, rig.iosfc(offset)); }
  void checkAll() {
    for (uint32_t offset : kIosfcRegs) read(offset);
    FUZZ_CHECK(rig.host().surfacesMapped() == model.mappedBits(), "host maps 0x%x, the window says 0x%x", rig.host().surfacesMapped(), model.mappedBits());
  }

  void start() {
    ring.start(kRingGpa, 64 * 1024);
    setMode(0);
  }
  void setMode(uint32_t m) {
    const uint32_t cmd[3] = {(3u << 16) | P::OpSetMode, 0, m};
    if (!ring.put(cmd)) return;  // no ring (the host refused to start it)
    ring.ring();
    if (m < kDisplay0Modes.size()) mode = m, generation++;
  }
  void reset(bool host) {
    if (host)
      rig.hostReset();
    else
      rig.setReg(P::RegReset, P::kResetMagic);
    ring.stopped();
    errors.restart();
    model.reset();
    checkAfterReset(rig);
    start();  // reset keeps the display's mode; SET_MODE again moves the generation on
  }

  void blitSurface() {
    const uint32_t display = values::display(in), surface = values::small(in, 34);
    uint32_t a[6];
    for (uint32_t& v : a) v = values::coord(in);
    const uint32_t flags = values::flags(in);
    const uint32_t cmd[10] = {(10u << 16) | P::OpBlitSurface, display, surface, a[0], a[1], a[2], a[3], a[4], a[5], flags};
    const uint32_t before = rig.reg(P::RegErrorCount);
    if (!ring.put(cmd)) return;
    // What the blit will read, taken now: a surface may lie anywhere in guest memory, the ring
    // included, and the ring changes once the command has run.
    const std::vector<uint8_t> source = surface < P::kIosfcSurfaces ? sourceRows(model.surface(surface), a) : std::vector<uint8_t>{};
    ring.ring();
    errors.check(ring.payload());
    const bool ok = rig.reg(P::RegErrorCount) == before;
    if (ok && display == 0 && surface < P::kIosfcSurfaces && flags == 0) checkBlitted(model.surface(surface), a, source);
  }
  // The w×h source rectangle at (sx, sy) of a mapped surface, if it is one a blit could draw.
  static std::vector<uint8_t> sourceRows(const IosfcModel::Surface& s, const uint32_t* a) {
    const uint32_t sx = a[0], sy = a[1], w = a[4], h = a[5];
    if (!s.mapped || w == 0 || h == 0 || w > 128 || h > 96 || uint64_t{sx} + w > s.width || uint64_t{sy} + h > s.height) return {};
    const uint8_t* src = Machine::get().guest().pointer(s.gpa, uint64_t{s.stride} * s.height, pvg::GuestAccess::Read);
    FUZZ_CHECK(src != nullptr, "a mapped surface outside guest memory");
    std::vector<uint8_t> rows(uint64_t{w} * 4 * h);
    for (uint32_t y = 0; y < h; ++y) std::memcpy(rows.data() + uint64_t{y} * w * 4, src + (uint64_t{sy} + y) * s.stride + uint64_t{sx} * 4, uint64_t{w} * 4);
    return rows;
  }
  // The blit copied the surface's rectangle into the frame: present, encode, compare.
  void checkBlitted(const IosfcModel::Surface& s, const uint32_t* a, const std::vector<uint8_t>& source) {
    const Mode m = kDisplay0Modes[mode];
    const uint32_t sx = a[0], sy = a[1], dx = a[2], dy = a[3], w = a[4], h = a[5];
    if (w == 0 || h == 0 || pvg::surface::kHeaderBytes + uint64_t{m.width} * m.height * 4 > Machine::pool0SurfaceBytes()) return;
    FUZZ_CHECK(s.mapped && uint64_t{sx} + w <= s.width && uint64_t{sy} + h <= s.height && uint64_t{dx} + w <= m.width && uint64_t{dy} + h <= m.height &&
                   !source.empty(),
               "BLIT_SURFACE %ux%u from (%u,%u) to (%u,%u) succeeded; surface %s %ux%u, frame %ux%u", w, h, sx, sy, dx, dy, s.mapped ? "mapped" : "not mapped",
               s.width, s.height, m.width, m.height);
    const uint32_t present[3] = {(3u << 16) | P::OpPresent, 0, 0};
    FUZZ_CHECK(ring.put(present), "no room for a PRESENT in a running ring");
    ring.ring();
    // Wait for this encode's own answer: a barrier answered after it was asked does not mean
    // display 0's queue was looked at since (display 1's is served last and loops).
    const uint64_t answered = rig.host().encodesDone(0);
    rig.encode(0, 0, generation, {0, 0, m.width, m.height});
    FUZZ_CHECK(rig.host().waitEncodes(answered, kStepLimit), "an encode after a present was never answered");
    const FakeHost::EncodeResult r = rig.host().lastEncode();
    FUZZ_CHECK(r.status == rec::EncodeOk && r.generation == generation, "encode after a present: status %u generation %u (want %u)", r.status, r.generation,
               generation);
    const uint8_t* frame = Machine::get().pool0() + pvg::surface::kHeaderBytes;
    for (uint32_t y = 0; y < h; ++y) {
      const uint8_t* got = frame + (uint64_t{dy} + y) * m.width * 4 + uint64_t{dx} * 4;
      FUZZ_CHECK(std::memcmp(got, source.data() + uint64_t{y} * w * 4, uint64_t{w} * 4) == 0, "row %u of a copy blit differs from the surface", y);
    }
  }

  void step() {
    const uint8_t s = in.u8();
    if (s < 0x80) {
      const uint32_t offset = kIosfcRegs[s % kIosfcRegs.size()];
      write(offset, iosfcValue(offset, in));
    } else if (s < 0xA0) {
      read(kIosfcRegs[s % kIosfcRegs.size()]);
    } else if (s < 0xB0) {
      write(P::IosfcCommand, iosfcValue(P::IosfcCommand, in));
    } else if (s < 0xB8) {
      blitSurface();
    } else if (s < 0xBC) {
      setMode(values::small(in, 5));
    } else if (s < 0xC0) {
      // Refused accesses: wrong size or alignment (errors), or past the window (ignored). An
      // 8-byte access is refused only unaligned (aligned, it is two 4-byte register accesses).
      const uint32_t c = in.u8() % 5, size = std::array<uint32_t, 5>{1, 2, 8, 4, 4}[c];
      const uint64_t offset = c == 3 ? P::kIosfcWindowBytes + in.u16() : c == 4 ? in.u8() * 4u + 2 : c == 2 ? in.u8() * 8u + 4 : in.u8();
      if (s & 1)
        FUZZ_CHECK(rig.read(rec::WindowIosfc, offset, size) == ~0ull, "a refused read must return all ones");
      else
        rig.write(rec::WindowIosfc, offset, size, in.u32());
    } else if (s < 0xC8) {
      write(P::IosfcSurface, values::small(in, 4));
      write(P::IosfcGpaLo, static_cast<uint32_t>(values::gpa(in)));
      write(P::IosfcGpaHi, 0);
      const uint32_t w = dimension(in), h = dimension(in);
      write(P::IosfcWidth, w);
      write(P::IosfcHeight, h);
      write(P::IosfcStride, s & 1 ? w * 4 : values::stride(in));
      write(P::IosfcFlags, values::flags(in));
      write(P::IosfcCommand, 1);
    } else if (s < 0xD0) {
      reset(s >= 0xCC);
    } else if (s < 0xD4) {
      const uint32_t word = in.u16() % (64 * 64), value = in.u32();
      std::memcpy(rig.ram(kSurfaceGpa + 4ull * word), &value, 4);
    } else {
      checkAll();
    }
  }
};

// One input; its objects are gone before the rig's end() compares the heap.
void fuzzOne(Rig& rig, Input& in) {
  ErrorWatch errors(rig);
  GuestRing ring(rig);
  IosfcModel model(Machine::get().guest());
  Run run{rig, ring, errors, model, in};
  run.start();
  for (int i = 0; i < kMaxSteps && !in.empty(); ++i) run.step();
  run.checkAll();
  errors.check(ring.payload());
  checkIdentity(rig);
  run.reset(false);
  run.checkAll();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return runOneInput(data, size, [](Rig& rig, Input& in, uint8_t) { fuzzOne(rig, in); });
}
