// Fuzz target `mmio-sequences`: MMIO sequences on both windows, in the manner of QEMU's generic-fuzz.
// Register level: the input is a stream of operations on a running engine — read or write, gfx
// or iosfc window (sometimes neither), offset (mostly a register, sometimes any aligned or
// unaligned offset in the window, sometimes a wild 64-bit one), size (mostly 4, sometimes
// 1/2/8/0/3/16/5) and value — with doorbells, resets, encode requests and guest-memory writes mixed
// in. Guest RAM holds a command stream at the usual ring address, so a ring the sequence starts has
// work to do. Every plain read is compared with the models (gfx_model.h, iosfc_model.h); every
// refused access must read all ones.
//
// Input: one config byte (bit 0 permissive host, bit 1 a u32 of host refusals follows), then
// operations, each chosen by one byte:
//   00-7F  write       80-DF  read       E0-E3  doorbell near the head       E4-E5  RESET
//   E6     the host's reset               E7     an encode request            E8-EF  guest RAM writes
//   F0-F7  start a ring (valid setup)     F8-FF  the error/status invariants
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/gfx_model.h"
#include "fuzz/input.h"
#include "fuzz/invariants.h"
#include "fuzz/iosfc_model.h"
#include "fuzz/machine.h"
#include "fuzz/registers.h"
#include "fuzz/rig.h"
#include "fuzz/values.h"

using namespace pvg::fuzz;

namespace {
constexpr int kMaxSteps = 1024;

// A plausible driver's commands, repeated with small variations, from the ring payload's start.
void writeCommandStream(Rig& rig) {
  auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
  std::vector<uint32_t> w;
  for (uint32_t i = 0; w.size() < 4096; ++i) {
    const uint32_t ctx = i % 3 + 1;
    const uint32_t cmds[] = {
        (4u << 16) | P::OpCtxCreate,
        ctx,
        lo(kMiB),
        0,
        (10u << 16) | P::OpMap,
        ctx,
        0,
        0,
        0,
        1,
        lo(kDataGpa),
        0,
        64 * 1024,
        0,
        (3u << 16) | P::OpSetMode,
        0,
        i % 5,
        (7u << 16) | P::OpFillRect,
        0,
        i % 8,
        0,
        8,
        8,
        0xFF000000u | i * 0x10101,
        (11u << 16) | P::OpBlit,
        0,
        ctx,
        0,
        0,
        256,
        i % 4,
        i % 3,
        16,
        16,
        i & 1,
        (8u << 16) | P::OpCopyRect,
        0,
        0,
        0,
        4,
        4,
        8,
        8,
        (6u << 16) | P::OpPresent,
        0,
        1,
        0,
        0,
        16,
        16,
        (11u << 16) | P::OpCursorDefine,
        0,
        ctx,
        0x4000,
        0,
        16,
        16,
        32,
        64,
        i % 16,
        0,
        (4u << 16) | P::OpCursorMove,
        0,
        i,
        i * 3,
        (7u << 16) | P::OpReadMem,
        ctx,
        0x8000,
        0,
        lo(kBytesGpa),
        0,
        256,
        (10u << 16) | P::OpBlitSurface,
        0,
        0,
        0,
        0,
        1,
        1,
        8,
        8,
        0,
        (3u << 16) | P::OpFence,
        i,
        1,
        (2u << 16) | P::OpCtxDestroy,
        i % 2 ? ctx : 4,
    };
    w.insert(w.end(), std::begin(cmds), std::end(cmds));
  }
  std::memcpy(rig.ram(kRingGpa + P::kRingHeaderBytes), w.data(), w.size() * 4);
}

struct Run {
  Rig& rig;
  ErrorWatch& errors;
  GfxModel& gfx;
  IosfcModel& iosfc;
  Input& in;

  static uint64_t windowBytes(uint32_t window) { return window == rec::WindowGfx ? P::kGfxWindowBytes : P::kIosfcWindowBytes; }
  static bool plain(uint32_t window, uint64_t offset, uint32_t size) {
    return window <= rec::WindowIosfc && size == 4 && offset % 4 == 0 && offset < windowBytes(window);
  }

  uint32_t window(uint8_t s) {
    if (s % 32 == 31) return in.u8() & 1 ? 2 : 0xFFFFFFFFu;  // a window that does not exist
    return s & 1;
  }
  uint64_t offset(uint32_t w) {
    const uint8_t o = in.u8();
    if (o < 0xC0) return w == rec::WindowIosfc ? kIosfcRegs[o % kIosfcRegs.size()] : kGfxRegs[o % kGfxRegs.size()];
    const uint64_t bytes = w == rec::WindowIosfc ? P::kIosfcWindowBytes : P::kGfxWindowBytes;
    if (o < 0xE0) return uint64_t{in.u16()} * 4 % bytes;
    if (o < 0xF0) return in.u16() % bytes;
    return in.u64();
  }
  uint32_t size() {
    const uint8_t z = in.u8();
    return z < 0xD0 ? 4 : std::array<uint32_t, 7>{1, 2, 8, 0, 3, 16, 5}[z % 7];
  }

  // An 8-byte access that the engine splits into two 4-byte register accesses (as QEMU does).
  static bool wide(uint32_t window, uint64_t offset, uint32_t size) {
    return window <= rec::WindowIosfc && size == 8 && offset % 8 == 0 && offset < windowBytes(window) && windowBytes(window) - offset >= 8;
  }
  // Registers whose writes the model follows with more than a register update.
  static bool special(uint32_t offset) {
    return offset == P::RegDoorbell || offset == P::RegRingControl || offset == P::RegReset || offset == P::RegErrorAck || offset == P::RegIrqAck;
  }
  uint32_t value32(uint32_t w, uint32_t off) { return w == rec::WindowGfx ? gfxValue(off, in) : iosfcValue(off, in); }

  void write(uint8_t s) {
    const uint32_t w = window(s);
    const uint64_t off = offset(w);
    const uint32_t sz = size();
    if (wide(w, off, sz)) {
      const uint32_t o = static_cast<uint32_t>(off), lo = value32(w, o), hi = value32(w, o + 4);
      if (w == rec::WindowGfx && !special(o) && !special(o + 4)) {
        rig.write(w, off, 8, lo | (uint64_t{hi} << 32));
        gfx.write(o, lo);
        gfx.write(o + 4, hi);
        return;
      }
      // Halves with side effects the model follows step by step: made as two 4-byte writes.
      writePlain(w, o, lo);
      writePlain(w, o + 4, hi);
      return;
    }
    if (!plain(w, off, sz)) return rig.write(w, off, sz, in.u64());
    writePlain(w, static_cast<uint32_t>(off), value32(w, static_cast<uint32_t>(off)));
  }

  void writePlain(uint32_t w, uint32_t o, uint32_t v) {
    if (w == rec::WindowGfx && o == P::RegDoorbell) return doorbell(v);
    rig.write(w, o, 4, v);
    if (w == rec::WindowIosfc) return iosfc.write(o, v, rig.host().surfacesMapped());
    gfx.write(o, v);
    if (o == P::RegRingControl) gfx.ringControl((rig.reg(P::RegStatus) & P::StatusRunning) != 0);
    if (o == P::RegReset && v == P::kResetMagic) afterReset();
    if (o == P::RegErrorAck) errors.errorAcked();
    if (o == P::RegIrqAck) errors.irqAcked();
  }

  void checkRead(uint32_t w, uint32_t o, uint32_t got) const {
    if (w == rec::WindowIosfc)
      iosfc.checkRead(o, got);
    else
      gfx.checkRead(o, got);
  }

  void read(uint8_t s) {
    const uint32_t w = window(s);
    const uint64_t off = offset(w);
    const uint32_t sz = size();
    const uint64_t got = rig.read(w, off, sz);
    if (wide(w, off, sz)) {
      checkRead(w, static_cast<uint32_t>(off), static_cast<uint32_t>(got));
      checkRead(w, static_cast<uint32_t>(off) + 4, static_cast<uint32_t>(got >> 32));
      return;
    }
    if (!plain(w, off, sz)) {
      // In no window or past its end: refused, all ones (a wrong size or alignment is an error too).
      FUZZ_CHECK(got == ~0ull, "a refused read (window %u offset 0x%llx size %u) returned 0x%llx", w, static_cast<unsigned long long>(off), sz,
                 static_cast<unsigned long long>(got));
      return;
    }
    FUZZ_CHECK(got <= 0xFFFFFFFFull, "a 4-byte read returned 0x%llx", static_cast<unsigned long long>(got));
    checkRead(w, static_cast<uint32_t>(off), static_cast<uint32_t>(got));
  }

  void doorbell(uint32_t tail) {
    rig.doorbell(tail, gfx.payload());
    gfx.doorbell(tail);
  }
  void afterReset() {
    gfx.reset();
    iosfc.reset();
    errors.restart();
    checkAfterReset(rig);
  }
  void startRing() {
    const uint32_t bytes = 4096u << (in.u8() % 5);
    rig.setReg(P::RegRingGpaLo, static_cast<uint32_t>(kRingGpa));
    rig.setReg(P::RegRingGpaHi, 0);
    rig.setReg(P::RegRingSize, bytes);
    rig.setReg(P::RegRingControl, 1);
    gfx.write(P::RegRingGpaLo, static_cast<uint32_t>(kRingGpa));
    gfx.write(P::RegRingGpaHi, 0);
    gfx.write(P::RegRingSize, bytes);
    gfx.ringControl((rig.reg(P::RegStatus) & P::StatusRunning) != 0);
  }

  void step() {
    const uint8_t s = in.u8();
    if (s < 0x80) {
      write(s);
    } else if (s < 0xE0) {
      read(s);
    } else if (s < 0xE4) {
      const uint32_t payload = gfx.payload();
      const uint8_t k = in.u8();
      doorbell(payload == 0 || k >= 0xF0 ? in.u32() : (gfx.head() + 4u * k) % payload);
    } else if (s < 0xE6) {
      rig.setReg(P::RegReset, P::kResetMagic);
      afterReset();
    } else if (s == 0xE6) {
      rig.hostReset();
      afterReset();
    } else if (s == 0xE7) {
      const uint32_t display = in.u8() & 1 ? 2 : 0;
      rig.encode(display, in.u8() % 3, in.u8() % 4, {values::coord(in), values::coord(in), values::coord(in), values::coord(in)});
    } else if (s < 0xF0) {
      // Guest writes (a DMA-like pattern) into the ring area or the guest data.
      const uint64_t base = s & 1 ? kDataGpa : kRingGpa;
      const uint32_t at = in.u16() % 0x4000, count = in.u8() % 16 + 1, value = in.u32();
      for (uint32_t i = 0; i < count && at + i < 0x4000; ++i) std::memcpy(rig.ram(base + 4ull * (at + i)), &value, 4);
    } else if (s < 0xF8) {
      startRing();
    } else {
      errors.check(gfx.payload());
    }
  }
};

// One input; its objects are gone before the rig's end() compares the heap.
void fuzzOne(Rig& rig, Input& in) {
  writeCommandStream(rig);
  ErrorWatch errors(rig);
  GfxModel gfx;
  IosfcModel iosfc(Machine::get().guest());
  Run run{rig, errors, gfx, iosfc, in};
  for (int i = 0; i < kMaxSteps && !in.empty(); ++i) run.step();
  errors.check(gfx.payload());
  checkIdentity(rig);
  const pvg::engine::EngineStats stats = rig.engine().stats();
  FUZZ_CHECK(stats.mmioReads == rig.readsSent() && stats.mmioWrites == rig.writesSent(), "MMIO counted %llu/%llu, sent %llu/%llu",
             static_cast<unsigned long long>(stats.mmioReads), static_cast<unsigned long long>(stats.mmioWrites),
             static_cast<unsigned long long>(rig.readsSent()), static_cast<unsigned long long>(rig.writesSent()));
  rig.setReg(P::RegReset, P::kResetMagic);
  run.afterReset();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return runOneInput(data, size, [](Rig& rig, Input& in, uint8_t) { fuzzOne(rig, in); });
}
