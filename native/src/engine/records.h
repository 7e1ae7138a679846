// Mailbox records between the device actor and the engine. Mirrors actors/device/engine-records.ts
// (test/shared/layout.test.ts keeps the two equal). Arguments are u32 words; 64-bit values
// take two, low first. "slot, id" name a reply slot the sender waits on.
#pragma once
#include <cstdint>

namespace pvg::engine::rec {
// Device actor → engine (the engine's inbound mailbox, consumed by its MMIO dispatcher thread).
enum In : uint32_t {
  InStop = 0,       // -
  InMmioRead = 1,   // window, offsetLo, offsetHi, size, vcpu, slot, id      (reply: valueLo, valueHi)
  InMmioWrite = 2,  // window, offsetLo, offsetHi, size, valueLo, valueHi, vcpu
  InEncode = 3,     // display, surface, generation, x, y, w, h
  InReset = 4,      // -
  InPowerOn = 5,    // -  (RESET plus everything RESET keeps: a new engine's state; soft_engine.h)
};
enum Window : uint32_t { WindowGfx = 0, WindowIosfc = 1 };

// Engine → device actor (callbacks and display events). Word 0 of every record is the engine
// thread's index (for the contract tests and the trace), then the fields below.
enum Out : uint32_t {
  OutCreateTask = 0x100,      // thread, slot, id, vmSizeLo, vmSizeHi            reply: task, baseLo, baseHi
  OutDestroyTask = 0x101,     // thread, slot, id, task
  OutMapMemory = 0x102,       // thread, slot, id, task, vaLo, vaHi, readOnly, n   payload: n × (gpaLo, gpaHi, lenLo, lenHi)
  OutUnmapMemory = 0x103,     // thread, slot, id, task, vaLo, vaHi, lenLo, lenHi
  OutReadMemory = 0x104,      // thread, slot, id, gpaLo, gpaHi, length           reply payload: the bytes
  OutRaiseInterrupt = 0x105,  // thread, vector
  OutNewFrame = 0x110,        // thread, display, frameSeq
  OutModeChange = 0x111,      // thread, display, width, height, pixelFormat, modeIndex, generation
  OutCursorGlyph = 0x112,     // thread, slot, id, display, width, height, hotX, hotY   payload: ARGB8888 rows
  OutCursorShow = 0x113,      // thread, display, show
  OutCursorMove = 0x114,      // thread, display, x, y
  OutEncodeDone = 0x120,      // thread, display, surface, generation, status, frameSeq, damageCount
  OutIosfcMap = 0x130,        // thread, slot, id, surface, gpaLo, gpaHi, length, readOnly
  OutIosfcUnmap = 0x131,      // thread, slot, id, surface
  OutIosfcInterrupt = 0x132,  // thread, vector
};

// OutEncodeDone status.
enum EncodeStatus : uint32_t { EncodeOk = 0, EncodeNoMode = 1, EncodeBadRequest = 2, EncodeStaleMode = 3 };
}  // namespace pvg::engine::rec
