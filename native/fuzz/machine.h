// The memory every fuzz run uses, allocated once per process and put back into the same state
// before each input (a run must not see what an earlier input left): guest RAM with known data,
// a hole, a read-only region, the displays' surface pools and the inbound mailbox's words.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "core/guest_memory.h"
#include "core/mailbox_layout.h"
#include "abi/surface_layout.h"
#include "check.h"
#include "layout.h"

namespace pvg::fuzz {
class Machine {
 public:
  static constexpr uint32_t kMailboxCapacity = 256;

  static Machine& get() {
    static Machine machine;
    return machine;
  }

  // Back to the initial contents: RAM zero except the guest data, ROM its pattern, no frames.
  // Copied from images made once (an input's cost: a memset of RAM and ~150 KiB of copies).
  void reset() {
    std::memset(ram(kRamBase), 0, kDataGpa - kRamBase);
    std::memcpy(ram(kDataGpa), dataImage_.data(), kDataImageBytes);
    std::memset(ram(kDataGpa + kDataImageBytes), 0, kRamBase + kRamBytes - kDataGpa - kDataImageBytes);
    std::memcpy(rom(), romPattern_.data(), kRomBytes);
    // memset, not std::fill: this file is compiled with comparison tracing, a hook per word.
    std::memset(pool0_.data(), 0, pool0_.size() * sizeof(uint64_t));
    std::memset(pool1_.data(), 0, pool1_.size() * sizeof(uint64_t));
  }

  // Whether the read-only region still holds its pattern (the engine must never write it).
  bool romIntact() const { return std::memcmp(rom(), romPattern_.data(), kRomBytes) == 0; }

  uint8_t* ram(uint64_t gpa) { return buffer_.get() + (gpa - kRamBase); }
  const GuestMemoryView& guest() const { return *guest_; }
  uint8_t* pool0() { return reinterpret_cast<uint8_t*>(pool0_.data()); }
  uint8_t* pool1() { return reinterpret_cast<uint8_t*>(pool1_.data()); }
  static uint64_t pool0SurfaceBytes() { return surface::kHeaderBytes + uint64_t{96} * 64 * 4; }  // mode 0 fits, mode 2 not
  static uint64_t pool1SurfaceBytes() { return surface::kHeaderBytes + uint64_t{16} * 8 * 4; }
  int32_t* mailboxWords() { return mailbox_.data(); }
  size_t mailboxLength() const { return mailbox_.size(); }

 private:
  Machine()
      : buffer_(static_cast<uint8_t*>(std::aligned_alloc(4096, kRamBytes + kRomBytes))),
        romPattern_(kRomBytes),
        pool0_(pool0SurfaceBytes() * kDisplay0Surfaces / 8),
        pool1_(pool1SurfaceBytes() / 8),
        mailbox_(mailbox::bytesFor(kMailboxCapacity) / 4) {
    FUZZ_CHECK(buffer_ != nullptr, "no memory for guest RAM");
    for (size_t i = 0; i < kRomBytes; ++i) romPattern_[i] = static_cast<uint8_t>(i * 131 + 17);
    makeDataImage();
    // RAM at buffer offset 0, the read-only region right after it in the buffer (but not in
    // guest-physical space: a hole lies between them there).
    const GuestRegion regions[2] = {{kRamBase, kRamBytes, 0, false}, {kRomBase, kRomBytes, kRamBytes, true}};
    GuestLayoutCheck why;
    guest_ = GuestMemoryView::create(buffer_.get(), kRamBytes + kRomBytes, regions, &why);
    FUZZ_CHECK(guest_.has_value(), "guest layout refused (%d)", static_cast<int>(why.error));
  }
  uint8_t* rom() const { return buffer_.get() + kRamBytes; }
  // The guest data from kDataGpa up to the arena: a gradient, a cursor, a byte pattern, an IOSurface.
  static constexpr uint64_t kDataImageBytes = kArenaGpa - kDataGpa;
  void makeDataImage() {
    uint8_t* base = dataImage_.data();
    auto at = [&](uint64_t gpa) { return base + (gpa - kDataGpa); };
    auto* gradient = reinterpret_cast<uint32_t*>(at(kDataGpa));
    for (uint32_t y = 0; y < 64; ++y) {
      for (uint32_t x = 0; x < 64; ++x) gradient[y * 64 + x] = ((x * 4) << 24) | ((x * 7) & 0xFF) << 16 | ((y * 5) & 0xFF) << 8 | ((x + y) & 0xFF);
    }
    auto* cursor = reinterpret_cast<uint32_t*>(at(kCursorGpa));
    for (uint32_t i = 0; i < 16 * 16; ++i) cursor[i] = (i & 1) ? 0xFFFFFFFFu : 0x80000000u;
    for (uint32_t i = 0; i < 32 * 1024; ++i) at(kBytesGpa)[i] = static_cast<uint8_t>(i * 31 + 7);
    auto* surface = reinterpret_cast<uint32_t*>(at(kSurfaceGpa));
    for (uint32_t i = 0; i < 64 * 64; ++i) surface[i] = 0xFF000000u | (i * 2654435761u >> 8);
  }

  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> buffer_;
  std::optional<GuestMemoryView> guest_;
  std::vector<uint8_t> romPattern_;
  std::vector<uint8_t> dataImage_ = std::vector<uint8_t>(kDataImageBytes);  // 4-byte aligned (operator new)
  std::vector<uint64_t> pool0_, pool1_;                                     // 8-byte aligned like a SAB
  std::vector<int32_t> mailbox_;
};
}  // namespace pvg::fuzz
