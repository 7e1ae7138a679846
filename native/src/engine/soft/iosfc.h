// The IOSurface host device of the MMIO variant: its own register window, map/unmap of guest
// surfaces through the host's iosfc callbacks, and an interrupt on its own line. Registers are
// served on the MMIO dispatcher; the ring executor reads mapped surfaces for BLIT_SURFACE.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "core/guest_memory.h"
#include "engine/contract.h"
#include "engine/soft/engine_state.h"
#include "abi/protocol.h"

namespace pvg::engine {
struct SurfaceView {
  const uint8_t* pixels = nullptr;
  uint32_t width = 0, height = 0, stride = 0;
};

class Iosfc {
 public:
  Iosfc(const GuestMemoryView& guest, HostCallbacks& host) : guest_(guest), host_(host) {}

  uint32_t read(uint32_t offset);
  // Returns false for an offset that is no register (the caller counts it).
  bool write(uint32_t offset, uint32_t value);
  // A mapped surface, copied out under the lock (the view stays valid: guest RAM outlives it).
  bool surface(uint32_t index, SurfaceView* out) const;
  // Unmaps everything (device reset).
  void reset();
  // The window's state (engine_state.h), and back into a window at reset state without the host
  // (it restored its own side; decodeEngineState checked the state). load() is false, nothing
  // changed, when a mapped surface is not in guest memory after all.
  EngineState::Iosfc save() const;
  bool load(const EngineState::Iosfc& state);
  uint64_t errors() const { return errorCount_.load(); }

 private:
  struct Surface {
    uint64_t gpa = 0;
    uint32_t width = 0, height = 0, stride = 0, flags = 0;
    const uint8_t* host = nullptr;  // non-null while mapped
  };
  void command(uint32_t value);
  void fail(proto::Error error);

  const GuestMemoryView& guest_;
  HostCallbacks& host_;
  mutable std::mutex mutex_;
  std::array<Surface, proto::kIosfcSurfaces> surfaces_{};
  uint32_t select_ = 0;
  std::atomic<uint32_t> errorCode_{0}, irqStatus_{0}, irqMask_{0};
  std::atomic<uint64_t> errorCount_{0};
};
}  // namespace pvg::engine
