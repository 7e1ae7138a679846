// The PVG contract, shaped like ParavirtualizedGraphics.framework so a reader can map it:
// what the engine calls on its host (PGDeviceDescriptor's blocks, PGDisplayDescriptor's
// handlers, PGIOSurfaceHostDeviceDescriptor's blocks) and how an MMIO access completes.
//
// Backends (the `soft` one here; an `apple` one over the real framework later) may call these
// from their own threads, concurrently and re-entrantly, as the framework does: host callbacks
// from any engine thread, display handlers only from the display queue. The host side must cope
// with that. (The soft backend is tamer today: its task and memory callbacks come one at a time
// from its serial ring executor; docs/design.md rule 2.) The host side in this project
// (bridge/mailbox_host) never runs JavaScript on those threads: it posts records into the
// device actor's mailbox and waits on reply slots.
#pragma once
#include <cstdint>
#include <span>

namespace pvg::engine {
struct PhysicalRange {
  uint64_t gpa = 0;
  uint64_t length = 0;
};

enum class HostStatus { Ok, Refused, Unavailable /* the host died or the engine is stopping */ };

struct CreatedTask {
  HostStatus status = HostStatus::Unavailable;
  uint32_t task = 0;
  uint64_t base = 0;  // the task window's base in task address space
};

// PGDeviceDescriptor: createTask, destroyTask, mapMemory, unmapMemory, readMemory,
// raiseInterrupt (addTraceRange/removeTraceRange are optional in the framework; absent here).
class HostCallbacks {
 public:
  virtual ~HostCallbacks() = default;
  virtual CreatedTask createTask(uint64_t vmSize) = 0;
  virtual HostStatus destroyTask(uint32_t task) = 0;
  virtual HostStatus mapMemory(uint32_t task, uint64_t virtualOffset, bool readOnly, std::span<const PhysicalRange> ranges) = 0;
  virtual HostStatus unmapMemory(uint32_t task, uint64_t virtualOffset, uint64_t length) = 0;
  virtual HostStatus readMemory(uint64_t gpa, uint64_t length, uint8_t* dst) = 0;
  virtual void raiseInterrupt(uint32_t vector) = 0;

  // PGDisplayDescriptor's handlers: called on the display queue only, in order.
  virtual void newFrame(uint32_t display, uint32_t frameSeq) = 0;
  // `generation` numbers the display's modes: an encode names the one it was asked for.
  virtual void modeChange(uint32_t display, uint32_t width, uint32_t height, uint32_t pixelFormat, uint32_t modeIndex, uint32_t generation) = 0;
  virtual void cursorGlyph(uint32_t display, std::span<const uint32_t> argb, uint32_t width, uint32_t height, uint32_t hotX, uint32_t hotY) = 0;
  virtual void cursorShow(uint32_t display, bool show) = 0;
  // The framework's cursorMoveHandler takes no arguments; the host reads the position from the
  // display. Here the position read at the time of the move travels with the event.
  virtual void cursorMove(uint32_t display, int32_t x, int32_t y) = 0;
  // encodeCurrentFrame's completion.
  virtual void encodeDone(uint32_t display, uint32_t surface, uint32_t generation, uint32_t status, uint32_t frameSeq, uint32_t damageCount) = 0;

  // PGIOSurfaceHostDeviceDescriptor (MMIO variant only).
  virtual HostStatus iosfcMapMemory(uint32_t surface, uint64_t gpa, uint64_t length, bool readOnly) = 0;
  virtual HostStatus iosfcUnmapMemory(uint32_t surface) = 0;
  virtual void iosfcRaiseInterrupt(uint32_t vector) = 0;
};

// Where an MMIO access's completion goes: straight to the waiting vCPU.
struct MmioTicket {
  uint32_t vcpu = 0;
  uint32_t slot = 0;       // reads: the vCPU's reply slot
  uint32_t requestId = 0;  // reads: the request id in that slot
};

class MmioCompleter {
 public:
  virtual ~MmioCompleter() = default;
  virtual void readDone(const MmioTicket& ticket, uint64_t value) = 0;
  virtual void writeDone(const MmioTicket& ticket) = 0;
};
}  // namespace pvg::engine
