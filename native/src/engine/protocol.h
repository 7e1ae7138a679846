// The guest protocol of docs/protocol.md: register offsets, opcodes and error codes.
#pragma once
#include <cstdint>

namespace pvg::engine::proto {
inline constexpr uint32_t kGfxWindowBytes = 16 * 1024;
inline constexpr uint32_t kIosfcWindowBytes = 64 * 1024;

inline constexpr uint32_t kId = 0x31475650;  // "PVG1"
inline constexpr uint32_t kVersion = 0x00010000;
inline constexpr uint32_t kResetMagic = 0x52534554;  // "RSET"
inline constexpr uint32_t kIosfcId = 0x46534F49;     // "IOSF"

enum Feature : uint32_t { FeatureCursor = 1, FeatureFences = 2, FeatureDamage = 4, FeatureDisplays = 8, FeatureIosfc = 16 };
enum Status : uint32_t { StatusReady = 1, StatusRunning = 2, StatusError = 4 };
enum IrqCause : uint32_t { IrqFence = 1, IrqError = 2, IrqRingIdle = 4 };

enum Reg : uint32_t {
  RegId = 0x000,
  RegVersion = 0x004,
  RegFeatures = 0x008,
  RegStatus = 0x00C,
  RegErrorCode = 0x010,
  RegErrorCount = 0x014,
  RegErrorAck = 0x018,
  RegIrqStatus = 0x020,
  RegIrqAck = 0x024,
  RegIrqMask = 0x028,
  RegRingGpaLo = 0x040,
  RegRingGpaHi = 0x044,
  RegRingSize = 0x048,
  RegRingControl = 0x04C,
  RegDoorbell = 0x050,
  RegRingHead = 0x054,
  RegDisplayCount = 0x060,
  RegDisplaySelect = 0x064,
  RegModeCount = 0x068,
  RegModeSelect = 0x06C,
  RegModeWidth = 0x070,
  RegModeHeight = 0x074,
  RegModeRefresh = 0x078,
  RegCurrentMode = 0x07C,
  RegFenceCompleted = 0x090,
  RegReset = 0x0A0,
};

enum IosfcReg : uint32_t {
  IosfcId = 0x00,
  IosfcStatus = 0x04,
  IosfcErrorCode = 0x08,
  IosfcErrorAck = 0x0C,
  IosfcSurface = 0x10,
  IosfcGpaLo = 0x14,
  IosfcGpaHi = 0x18,
  IosfcWidth = 0x1C,
  IosfcHeight = 0x20,
  IosfcStride = 0x24,
  IosfcFlags = 0x28,
  IosfcCommand = 0x2C,
  IosfcMapped = 0x30,
  IosfcIrqStatus = 0x40,
  IosfcIrqAck = 0x44,
  IosfcIrqMask = 0x48,
};
inline constexpr uint32_t kIosfcSurfaces = 32;
inline constexpr uint32_t kIosfcMaxDimension = 4096;

enum Op : uint16_t {
  OpNop = 0x00,
  OpCtxCreate = 0x01,
  OpCtxDestroy = 0x02,
  OpMap = 0x03,
  OpUnmap = 0x04,
  OpReadMem = 0x05,
  OpSetMode = 0x10,
  OpFillRect = 0x11,
  OpCopyRect = 0x12,
  OpBlit = 0x13,
  OpBlitSurface = 0x14,
  OpPresent = 0x18,
  OpCursorDefine = 0x20,
  OpCursorShow = 0x21,
  OpCursorMove = 0x22,
  OpFence = 0x30,
};

enum class Error : uint32_t {
  None = 0,
  BadRegister = 1,
  BadRingSetup = 2,
  BadCommand = 3,
  BadContext = 4,
  BadMapping = 5,
  BadUnmap = 6,
  AccessFault = 7,
  BadDisplay = 8,
  BadRect = 9,
  BadCursor = 10,
  BadSurface = 11,
  HostRefused = 12,
};
inline constexpr uint32_t kErrorKinds = 13;

inline constexpr uint32_t kRingHeaderBytes = 64;
inline constexpr uint32_t kRingMinBytes = 4096;
inline constexpr uint32_t kRingMaxBytes = 1024 * 1024;
inline constexpr uint32_t kMaxCommandWords = 1024;
inline constexpr uint32_t kMaxContexts = 4095;
inline constexpr uint32_t kMaxMapRanges = 64;
inline constexpr uint32_t kMaxReadMemBytes = 64 * 1024;
inline constexpr uint32_t kMaxDamageRects = 16;
inline constexpr uint32_t kMaxCursorSize = 256;
inline constexpr uint32_t kPixelFormatBGRA = 0x42475241;  // 'BGRA'
}  // namespace pvg::engine::proto
