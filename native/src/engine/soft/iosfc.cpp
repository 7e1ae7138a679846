#include "engine/soft/iosfc.h"

namespace pvg::engine {
using namespace proto;

uint32_t Iosfc::read(uint32_t offset) {
  std::lock_guard lock(mutex_);
  const Surface& s = surfaces_[select_];
  switch (offset) {
    case IosfcId:
      return kIosfcId;
    case IosfcStatus:
      return StatusReady | (errorCode_.load() != 0 ? uint32_t{StatusError} : 0u);
    case IosfcErrorCode:
      return errorCode_.load();
    case IosfcSurface:
      return select_;
    case IosfcGpaLo:
      return static_cast<uint32_t>(s.gpa);
    case IosfcGpaHi:
      return static_cast<uint32_t>(s.gpa >> 32);
    case IosfcWidth:
      return s.width;
    case IosfcHeight:
      return s.height;
    case IosfcStride:
      return s.stride;
    case IosfcFlags:
      return s.flags;
    case IosfcMapped: {
      uint32_t bits = 0;
      for (uint32_t i = 0; i < kIosfcSurfaces; ++i) bits |= surfaces_[i].host != nullptr ? 1u << i : 0;
      return bits;
    }
    case IosfcIrqStatus:
      return irqStatus_.load();
    case IosfcIrqMask:
      return irqMask_.load();
    default:
      return 0;
  }
}

bool Iosfc::write(uint32_t offset, uint32_t value) {
  {
    std::lock_guard lock(mutex_);
    Surface& s = surfaces_[select_];
    const bool mapped = s.host != nullptr;
    switch (offset) {
      case IosfcErrorAck:
        errorCode_.store(0);
        return true;
      case IosfcSurface:
        if (value >= kIosfcSurfaces) break;
        select_ = value;
        return true;
      // A mapped surface's geometry is fixed until it is unmapped.
      case IosfcGpaLo:
        if (!mapped) s.gpa = (s.gpa & ~0xFFFFFFFFull) | value;
        return true;
      case IosfcGpaHi:
        if (!mapped) s.gpa = (s.gpa & 0xFFFFFFFFull) | (uint64_t{value} << 32);
        return true;
      case IosfcWidth:
        if (!mapped) s.width = value;
        return true;
      case IosfcHeight:
        if (!mapped) s.height = value;
        return true;
      case IosfcStride:
        if (!mapped) s.stride = value;
        return true;
      case IosfcFlags:
        if (!mapped) s.flags = value & 1;
        return true;
      case IosfcIrqAck:
        irqStatus_.fetch_and(~value);
        return true;
      case IosfcIrqMask:
        irqMask_.store(value & 1);
        return true;
      case IosfcCommand:
        break;
      default:
        return false;
    }
    if (offset == IosfcSurface) {
      fail(Error::BadSurface);
      return true;
    }
  }
  command(value);
  return true;
}

void Iosfc::command(uint32_t value) {
  // The host callback runs without the lock: it waits on the device actor.
  Surface s;
  uint32_t index;
  {
    std::lock_guard lock(mutex_);
    index = select_;
    s = surfaces_[index];
  }
  if (value == 1) {
    const uint64_t length = uint64_t{s.stride} * s.height;
    const bool geometryOk =
        s.host == nullptr && s.width > 0 && s.height > 0 && s.width <= kIosfcMaxDimension && s.height <= kIosfcMaxDimension && s.stride >= 4ull * s.width;
    const uint8_t* host = geometryOk ? guest_.pointer(s.gpa, length, GuestAccess::Read) : nullptr;
    if (host == nullptr) return fail(Error::BadSurface);
    if (host_.iosfcMapMemory(index, s.gpa, length, (s.flags & 1) != 0) != HostStatus::Ok) return fail(Error::HostRefused);
    std::lock_guard lock(mutex_);
    surfaces_[index].host = host;
  } else if (value == 2) {
    if (s.host == nullptr) return fail(Error::BadSurface);
    {
      std::lock_guard lock(mutex_);
      surfaces_[index].host = nullptr;
    }
    if (host_.iosfcUnmapMemory(index) != HostStatus::Ok) return fail(Error::HostRefused);
  } else {
    return fail(Error::BadSurface);
  }
  irqStatus_.fetch_or(1);
  if (irqMask_.load() & 1) host_.iosfcRaiseInterrupt(0);
}

bool Iosfc::surface(uint32_t index, SurfaceView* out) const {
  if (index >= kIosfcSurfaces) return false;
  std::lock_guard lock(mutex_);
  const Surface& s = surfaces_[index];
  if (s.host == nullptr) return false;
  *out = SurfaceView{s.host, s.width, s.height, s.stride};
  return true;
}

void Iosfc::reset() {
  std::array<bool, kIosfcSurfaces> wasMapped{};
  {
    std::lock_guard lock(mutex_);
    for (uint32_t i = 0; i < kIosfcSurfaces; ++i) {
      wasMapped[i] = surfaces_[i].host != nullptr;
      surfaces_[i] = Surface{};
    }
    select_ = 0;
    errorCode_.store(0);
    irqStatus_.store(0);
    irqMask_.store(0);
  }
  for (uint32_t i = 0; i < kIosfcSurfaces; ++i) {
    if (wasMapped[i]) host_.iosfcUnmapMemory(i);
  }
}

EngineState::Iosfc Iosfc::save() const {
  std::lock_guard lock(mutex_);
  EngineState::Iosfc f;
  f.select = select_;
  f.errorCode = errorCode_.load();
  f.irqStatus = irqStatus_.load();
  f.irqMask = irqMask_.load();
  f.errorCount = errorCount_.load();
  for (uint32_t i = 0; i < kIosfcSurfaces; ++i) {
    const Surface& s = surfaces_[i];
    f.surfaces[i] = EngineState::Surface{s.gpa, s.width, s.height, s.stride, s.flags, s.host != nullptr};
  }
  return f;
}

bool Iosfc::load(const EngineState::Iosfc& f) {
  std::array<Surface, kIosfcSurfaces> loaded{};
  for (uint32_t i = 0; i < kIosfcSurfaces; ++i) {
    const EngineState::Surface& s = f.surfaces[i];
    loaded[i] = Surface{s.gpa, s.width, s.height, s.stride, s.flags, nullptr};
    if (!s.mapped) continue;
    loaded[i].host = guest_.pointer(s.gpa, uint64_t{s.stride} * s.height, GuestAccess::Read);
    if (loaded[i].host == nullptr) return false;
  }
  std::lock_guard lock(mutex_);
  surfaces_ = loaded;
  select_ = f.select;
  errorCode_.store(f.errorCode);
  irqStatus_.store(f.irqStatus);
  irqMask_.store(f.irqMask);
  errorCount_.store(f.errorCount);
  return true;
}

void Iosfc::fail(Error error) {
  uint32_t expected = 0;
  errorCode_.compare_exchange_strong(expected, static_cast<uint32_t>(error));
  errorCount_.fetch_add(1);
}
}  // namespace pvg::engine
