// Mailbox records between the device actor and the native engine. Mirrors
// native/src/engine/records.h (test/shared/layout.test.ts checks they agree).

/** Device actor → engine inbound mailbox. */
export const enum EngineIn {
  Stop = 0,
  /** window, offsetLo, offsetHi, size, vcpu, slot, id → reply (valueLo, valueHi) */
  MmioRead = 1,
  /** window, offsetLo, offsetHi, size, valueLo, valueHi, vcpu */
  MmioWrite = 2,
  /** display, surface, generation, x, y, w, h */
  Encode = 3,
  Reset = 4,
  /** RESET plus what RESET keeps (modes, frames, cursors, selects): the state of a new engine. */
  PowerOn = 5,
}

export const enum EngineWindow {
  Gfx = 0,
  Iosfc = 1,
}

/** Engine → device actor. Word 0 is always the engine thread's index. */
export const enum EngineOut {
  CreateTask = 0x100, // thread, slot, id, vmSizeLo, vmSizeHi → reply task, baseLo, baseHi
  DestroyTask = 0x101, // thread, slot, id, task
  MapMemory = 0x102, // thread, slot, id, task, vaLo, vaHi, readOnly, n; payload n × (gpaLo, gpaHi, lenLo, lenHi)
  UnmapMemory = 0x103, // thread, slot, id, task, vaLo, vaHi, lenLo, lenHi
  ReadMemory = 0x104, // thread, slot, id, gpaLo, gpaHi, length → reply payload
  RaiseInterrupt = 0x105, // thread, vector
  NewFrame = 0x110, // thread, display, frameSeq
  ModeChange = 0x111, // thread, display, width, height, pixelFormat, modeIndex, generation (encodes name it)
  CursorGlyph = 0x112, // thread, slot, id, display, width, height, hotX, hotY; payload ARGB rows
  CursorShow = 0x113, // thread, display, show
  CursorMove = 0x114, // thread, display, x, y
  EncodeDone = 0x120, // thread, display, surface, generation, status, frameSeq, damageCount
  IosfcMap = 0x130, // thread, slot, id, surface, gpaLo, gpaHi, length, readOnly
  IosfcUnmap = 0x131, // thread, slot, id, surface
  IosfcInterrupt = 0x132, // thread, vector
}

export const enum EncodeStatus {
  Ok = 0,
  NoMode = 1,
  BadRequest = 2,
  StaleMode = 3,
}

/** Engine thread indexes: 0 the MMIO dispatcher, 1 the display queue, 2… the pool. */
export const ENGINE_THREAD_MMIO = 0;
export const ENGINE_THREAD_DISPLAY = 1;
