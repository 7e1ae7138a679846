// The guest protocol of docs/protocol.md as the TypeScript guest driver sees it. Mirrors
// native/src/engine/protocol.h (test/shared/layout.test.ts checks the two agree).
export const PVG_ID = 0x31475650;
export const PVG_VERSION = 0x00010000;
export const RESET_MAGIC = 0x52534554;
export const IOSFC_ID = 0x46534f49;
export const GFX_WINDOW_BYTES = 16 * 1024;
export const IOSFC_WINDOW_BYTES = 64 * 1024;
export const RING_HEADER_BYTES = 64;
export const MAX_COMMAND_WORDS = 1024;
export const MAX_DAMAGE_RECTS = 16;
export const MAX_MAP_RANGES = 64;
export const PIXEL_FORMAT_BGRA = 0x42475241;

export const enum Reg {
  Id = 0x000,
  Version = 0x004,
  Features = 0x008,
  Status = 0x00c,
  ErrorCode = 0x010,
  ErrorCount = 0x014,
  ErrorAck = 0x018,
  IrqStatus = 0x020,
  IrqAck = 0x024,
  IrqMask = 0x028,
  RingGpaLo = 0x040,
  RingGpaHi = 0x044,
  RingSize = 0x048,
  RingControl = 0x04c,
  Doorbell = 0x050,
  RingHead = 0x054,
  DisplayCount = 0x060,
  DisplaySelect = 0x064,
  ModeCount = 0x068,
  ModeSelect = 0x06c,
  ModeWidth = 0x070,
  ModeHeight = 0x074,
  ModeRefresh = 0x078,
  CurrentMode = 0x07c,
  FenceCompleted = 0x090,
  Reset = 0x0a0,
}

export const enum IosfcReg {
  Id = 0x00,
  Status = 0x04,
  ErrorCode = 0x08,
  ErrorAck = 0x0c,
  Surface = 0x10,
  GpaLo = 0x14,
  GpaHi = 0x18,
  Width = 0x1c,
  Height = 0x20,
  Stride = 0x24,
  Flags = 0x28,
  Command = 0x2c,
  Mapped = 0x30,
  IrqStatus = 0x40,
  IrqAck = 0x44,
  IrqMask = 0x48,
}

export const enum Status {
  Ready = 1,
  Running = 2,
  Error = 4,
}

export const enum IrqCause {
  Fence = 1,
  Error = 2,
  RingIdle = 4,
}

export const enum Op {
  Nop = 0x00,
  CtxCreate = 0x01,
  CtxDestroy = 0x02,
  Map = 0x03,
  Unmap = 0x04,
  ReadMem = 0x05,
  SetMode = 0x10,
  FillRect = 0x11,
  CopyRect = 0x12,
  Blit = 0x13,
  BlitSurface = 0x14,
  Present = 0x18,
  CursorDefine = 0x20,
  CursorShow = 0x21,
  CursorMove = 0x22,
  Fence = 0x30,
}

export const ERROR_NAMES = [
  'none',
  'bad-register',
  'bad-ring-setup',
  'bad-command',
  'bad-context',
  'bad-mapping',
  'bad-unmap',
  'access-fault',
  'bad-display',
  'bad-rect',
  'bad-cursor',
  'bad-surface',
  'host-refused',
] as const;
export type GuestErrorName = (typeof ERROR_NAMES)[number];

export function commandHeader(op: Op, words: number): number {
  return (op | (words << 16)) >>> 0;
}
