// What a guest driver sets up before it draws (the common start of the harnesses): context 1
// with the guest data mapped writable at va 0, context 2 with the read-only region mapped at
// va 0, display 0 in mode 0, and IOSurface 0 mapped over the guest's test surface.
#pragma once
#include <cstdint>

#include "guest_ring.h"
#include "layout.h"
#include "rig.h"

namespace pvg::fuzz {
inline void mapSurface(Rig& rig, uint32_t index, uint64_t gpa, uint32_t width, uint32_t height, uint32_t stride) {
  rig.setIosfc(P::IosfcSurface, index);
  rig.setIosfc(P::IosfcGpaLo, static_cast<uint32_t>(gpa));
  rig.setIosfc(P::IosfcGpaHi, static_cast<uint32_t>(gpa >> 32));
  rig.setIosfc(P::IosfcWidth, width);
  rig.setIosfc(P::IosfcHeight, height);
  rig.setIosfc(P::IosfcStride, stride);
  rig.setIosfc(P::IosfcFlags, 1);
  rig.setIosfc(P::IosfcCommand, 1);
}

inline void prelude(Rig& rig, GuestRing& ring) {
  auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
  auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
  const uint32_t commands[] = {
      (4u << 16) | P::OpCtxCreate, 1, lo(kMiB),   hi(kMiB), (10u << 16) | P::OpMap, 1, 0, 0, 0, 1, lo(kDataGpa), hi(kDataGpa), 64 * 1024,     0,
      (4u << 16) | P::OpCtxCreate, 2, 256 * 1024, 0,        (10u << 16) | P::OpMap, 2, 0, 0, 1, 1, lo(kRomBase), hi(kRomBase), lo(kRomBytes), 0,
      (3u << 16) | P::OpSetMode,   0, 0,
  };
  ring.put(commands);
  ring.ring();
  mapSurface(rig, 0, kSurfaceGpa, 64, 64, 256);
}
}  // namespace pvg::fuzz
