// The soft engine's state at a quiescent point (docs/snapshots.md, "The engine's section"), as
// plain data, and its byte form: what SoftEngine::saveState() writes and loadState() reads.
// The bytes come from a file, so decoding treats them as hostile: every count, size, index and
// guest range is checked against the engine's configuration and guest memory, and the first
// problem refuses the whole state with the part it is in and why. Decoding changes nothing; the
// engine applies a state only once all of it passed.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "abi/protocol.h"
#include "core/guest_memory.h"
#include "engine/render/frame.h"
#include "engine/soft/display.h"

namespace pvg::engine {
inline constexpr uint32_t kEngineStateMagic = 0x53474E45;  // "ENGS"
inline constexpr uint32_t kEngineStateVersion = 1;

struct EngineState {
  // The gfx window's registers that hold state (the rest are constants or derived).
  struct Registers {
    uint32_t errorCode = 0, errorCount = 0, irqStatus = 0, irqMask = 0, fenceCompleted = 0;
    uint32_t ringGpaLo = 0, ringGpaHi = 0, ringSize = 0, doorbellTail = 0, ringHead = 0;
    uint32_t displaySelect = 0, modeSelect = 0;
  };
  // The running ring: its task (mapped over the ring at va 0) and payload bytes after the header.
  struct Ring {
    bool running = false;
    uint32_t task = 0, payload = 0;
  };
  struct Context {
    uint32_t number = 0, task = 0;
    uint64_t size = 0;
  };
  // One mapping the host accepted: [va, va + length) of the task onto guest [gpa, gpa + length).
  struct Mapping {
    uint64_t va = 0, gpa = 0, length = 0;
    bool readOnly = false;
  };
  struct Task {
    uint32_t id = 0;
    uint64_t vmSize = 0;
    std::vector<Mapping> mappings;  // by va, disjoint
  };
  struct Display {
    int32_t mode = -1;  // -1: none set; the frame is then empty
    uint32_t generation = 0, frameSeq = 0;
    bool drawnSincePresent = false, cursorVisible = false;
    int32_t cursorX = 0, cursorY = 0;
    std::vector<Rect> damage;      // since the last encode
    std::vector<uint32_t> pixels;  // the mode's width × height ARGB words; empty without a mode
  };
  struct Surface {
    uint64_t gpa = 0;
    uint32_t width = 0, height = 0, stride = 0, flags = 0;
    bool mapped = false;
  };
  struct Iosfc {
    uint32_t select = 0, errorCode = 0, irqStatus = 0, irqMask = 0;
    uint64_t errorCount = 0;
    std::array<Surface, proto::kIosfcSurfaces> surfaces{};
  };

  Registers registers;
  Ring ring;
  std::vector<Context> contexts;  // by number
  std::vector<Task> tasks;        // by id: the ring's and every context's, nothing else
  std::vector<Display> displays;
  std::optional<Iosfc> iosfc;  // present exactly when the engine has the IOSurface window
};

// What a state must fit: the engine's configuration and its guest memory.
struct EngineStateLimits {
  std::vector<std::vector<DisplayMode>> modes;  // per display
  bool iosfc = false;
  uint64_t maxContextBytes = 0;
  const GuestMemoryView* guest = nullptr;
};

// Why a state was refused: the part (header, registers, ring, contexts, tasks, display N, iosfc,
// end) and the reason in words.
struct EngineStateError {
  std::string part, reason;
  bool ok() const { return part.empty(); }
};

std::vector<uint8_t> encodeEngineState(const EngineState& state);
// The state in `bytes`, or nothing with *error saying what is wrong.
std::optional<EngineState> decodeEngineState(std::span<const uint8_t> bytes, const EngineStateLimits& limits, EngineStateError* error);
}  // namespace pvg::engine
