// The engine state's byte form (little-endian, fixed-width fields, in the order of
// engine_state.h) and its checks. Layout, version 1:
//   header     magic u32, version u32, display count u32, iosfc u32 (0/1)
//   registers  12 × u32 (EngineState::Registers, in declaration order)
//   ring       running u32 (0/1), task u32, payload u32
//   contexts   count u32, then per context: number u32, task u32, size u64
//   tasks      count u32, then per task: id u32, vmSize u64, mapping count u32, then per mapping:
//              va u64, gpa u64, length u64, read-only u32 (0/1)
//   displays   per display: mode i32, generation u32, frameSeq u32, flags u32 (bit 0 drawn since
//              present, bit 1 cursor visible), cursorX i32, cursorY i32, damage count u32 and
//              that many rectangles (4 × u32), pixel bytes u64 and the pixels (BGRA)
//   iosfc      (if the engine has the window) select, error code, IRQ status, IRQ mask u32,
//              error count u64, then 32 surfaces: gpa u64, width, height, stride, flags,
//              mapped u32
// and nothing after. Counts are checked against the bytes left before anything is allocated.
#include "engine/soft/engine_state.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

namespace pvg::engine {
using namespace proto;

namespace {
class Writer {
 public:
  void u32(uint32_t v) { put(&v, 4); }
  void i32(int32_t v) { put(&v, 4); }
  void u64(uint64_t v) { put(&v, 8); }
  void put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  std::vector<uint8_t> out;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, EngineStateError* error) : bytes_(bytes), error_(error) {}
  void part(std::string name) { part_ = std::move(name); }
  // False (and the error set, once) when the bytes run out.
  bool u32(uint32_t* v) { return get(v, 4); }
  bool i32(int32_t* v) { return get(v, 4); }
  bool u64(uint64_t* v) { return get(v, 8); }
  bool flag(bool* v, const char* what) {
    uint32_t w = 0;
    if (!u32(&w)) return false;
    if (w > 1) return fail(std::string(what) + " is " + std::to_string(w) + ", not 0 or 1");
    *v = w == 1;
    return true;
  }
  bool get(void* p, size_t n) {
    if (bytes_.size() - at_ < n) return fail("truncated");
    if (n == 0) return true;  // p may be null then (an empty frame's pixels): memcpy must not see it
    std::memcpy(p, bytes_.data() + at_, n);
    at_ += n;
    return true;
  }
  // A count of records of at least `recordBytes` each: refused when the bytes left cannot hold them.
  bool count(uint32_t* n, size_t recordBytes, uint32_t max, const char* what) {
    if (!u32(n)) return false;
    if (*n > max) return fail(std::string(what) + " count " + std::to_string(*n) + " is over " + std::to_string(max));
    if (uint64_t{*n} * recordBytes > bytes_.size() - at_) return fail("truncated (" + std::to_string(*n) + " " + what + ")");
    return true;
  }
  size_t left() const { return bytes_.size() - at_; }
  bool fail(std::string reason) {
    if (error_->ok()) *error_ = EngineStateError{part_.empty() ? "header" : part_, std::move(reason)};
    return false;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
  EngineStateError* error_;
  std::string part_;
};

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

constexpr uint32_t kGfxCauses = IrqFence | IrqError | IrqRingIdle;

bool readRegisters(Reader& r, EngineState::Registers& g) {
  r.part("registers");
  uint32_t* words[] = {&g.errorCode, &g.errorCount, &g.irqStatus,    &g.irqMask,  &g.fenceCompleted, &g.ringGpaLo,
                       &g.ringGpaHi, &g.ringSize,   &g.doorbellTail, &g.ringHead, &g.displaySelect,  &g.modeSelect};
  for (uint32_t* w : words) {
    if (!r.u32(w)) return false;
  }
  if (g.errorCode >= kErrorKinds) return r.fail("error code " + std::to_string(g.errorCode) + " is no error");
  if ((g.irqStatus & ~kGfxCauses) != 0) return r.fail("IRQ status " + hex(g.irqStatus) + " has bits no cause uses");
  if ((g.irqMask & ~kGfxCauses) != 0) return r.fail("IRQ mask " + hex(g.irqMask) + " has bits no cause uses");
  return true;
}

bool readRing(Reader& r, EngineState& s) {
  r.part("ring");
  EngineState::Ring& ring = s.ring;
  if (!r.flag(&ring.running, "running") || !r.u32(&ring.task) || !r.u32(&ring.payload)) return false;
  if (!ring.running) {
    if (ring.task != 0 || ring.payload != 0) return r.fail("a stopped ring with a task or payload");
    return true;
  }
  const uint64_t bytes = uint64_t{ring.payload} + kRingHeaderBytes;
  if (bytes < kRingMinBytes || bytes > kRingMaxBytes || !std::has_single_bit(bytes)) return r.fail("ring of " + std::to_string(bytes) + " bytes");
  const auto& g = s.registers;
  if (g.doorbellTail >= ring.payload || (g.doorbellTail & 3) != 0) return r.fail("doorbell " + std::to_string(g.doorbellTail) + " outside the ring");
  if (g.ringHead >= ring.payload || (g.ringHead & 3) != 0) return r.fail("head " + std::to_string(g.ringHead) + " outside the ring");
  return true;
}

bool readContexts(Reader& r, EngineState& s, const EngineStateLimits& limits) {
  r.part("contexts");
  uint32_t n = 0;
  if (!r.count(&n, 16, kMaxContexts, "contexts")) return false;
  s.contexts.resize(n);
  uint32_t last = 0;
  for (EngineState::Context& c : s.contexts) {
    if (!r.u32(&c.number) || !r.u32(&c.task) || !r.u64(&c.size)) return false;
    if (c.number == 0 || c.number > kMaxContexts || c.number <= last) return r.fail("context " + std::to_string(c.number) + " out of range or order");
    last = c.number;
    if (c.size == 0 || (c.size & 0xFFF) != 0 || c.size > limits.maxContextBytes)
      return r.fail("context " + std::to_string(c.number) + " of " + std::to_string(c.size) + " bytes");
  }
  return true;
}

bool readMappings(Reader& r, EngineState::Task& t, const EngineStateLimits& limits) {
  uint32_t n = 0;
  if (!r.count(&n, 28, UINT32_MAX, "mappings")) return false;
  t.mappings.resize(n);
  uint64_t end = 0;
  for (uint32_t i = 0; i < n; ++i) {
    EngineState::Mapping& m = t.mappings[i];
    if (!r.u64(&m.va) || !r.u64(&m.gpa) || !r.u64(&m.length) || !r.flag(&m.readOnly, "read-only")) return false;
    const std::string what = "task " + std::to_string(t.id) + " mapping at " + hex(m.va);
    if (m.length == 0 || m.va + m.length < m.va || m.va + m.length > t.vmSize) return r.fail(what + ": " + hex(m.length) + " bytes outside the task");
    if (i != 0 && m.va < end) return r.fail(what + ": overlaps or out of order");
    end = m.va + m.length;
    if (!limits.guest->translate(m.gpa, m.length, m.readOnly ? GuestAccess::Read : GuestAccess::Write))
      return r.fail(what + ": guest range " + hex(m.gpa) + "+" + hex(m.length) + " not in guest memory");
  }
  return true;
}

bool readTasks(Reader& r, EngineState& s, const EngineStateLimits& limits) {
  r.part("tasks");
  uint32_t n = 0;
  const uint32_t expected = static_cast<uint32_t>(s.contexts.size()) + (s.ring.running ? 1 : 0);
  if (!r.count(&n, 16, kMaxContexts + 1, "tasks")) return false;
  if (n != expected) return r.fail(std::to_string(n) + " tasks for " + std::to_string(expected) + " owners (ring and contexts)");
  // Who owns each task id: the ring, or a context (each id once).
  std::vector<std::pair<uint32_t, uint64_t>> owners;  // id → vmSize
  if (s.ring.running) owners.emplace_back(s.ring.task, uint64_t{s.ring.payload} + kRingHeaderBytes);
  for (const auto& c : s.contexts) owners.emplace_back(c.task, c.size);
  std::sort(owners.begin(), owners.end());
  for (size_t i = 1; i < owners.size(); ++i) {
    if (owners[i].first == owners[i - 1].first) return r.fail("task " + std::to_string(owners[i].first) + " owned twice");
  }
  s.tasks.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    EngineState::Task& t = s.tasks[i];
    if (!r.u32(&t.id) || !r.u64(&t.vmSize)) return false;
    if (t.id != owners[i].first) return r.fail("task " + std::to_string(t.id) + " owned by no context or ring, or out of order");
    if (t.vmSize != owners[i].second) return r.fail("task " + std::to_string(t.id) + " of " + std::to_string(t.vmSize) + " bytes, its owner says otherwise");
    if (!readMappings(r, t, limits)) return false;
    if (s.ring.running && t.id == s.ring.task) {
      const bool whole = t.mappings.size() == 1 && t.mappings[0].va == 0 && t.mappings[0].length == t.vmSize && !t.mappings[0].readOnly;
      if (!whole) return r.fail("the ring's task is not one writable mapping of the ring");
    }
  }
  return true;
}

bool readDisplay(Reader& r, EngineState::Display& d, const std::vector<DisplayMode>& modes) {
  uint32_t flags = 0, damage = 0;
  if (!r.i32(&d.mode) || !r.u32(&d.generation) || !r.u32(&d.frameSeq) || !r.u32(&flags) || !r.i32(&d.cursorX) || !r.i32(&d.cursorY)) return false;
  if ((flags & ~3u) != 0) return r.fail("flags " + hex(flags));
  d.drawnSincePresent = (flags & 1) != 0;
  d.cursorVisible = (flags & 2) != 0;
  if (d.mode < -1 || (d.mode >= 0 && static_cast<uint32_t>(d.mode) >= modes.size())) return r.fail("mode " + std::to_string(d.mode) + " does not exist");
  const DisplayMode m = d.mode >= 0 ? modes[static_cast<size_t>(d.mode)] : DisplayMode{};
  if (d.mode < 0 && (d.generation != 0 || d.frameSeq != 0 || d.drawnSincePresent)) return r.fail("frames or a generation without a mode");
  if (d.mode >= 0 && d.generation == 0) return r.fail("a mode at generation 0");
  if (!r.count(&damage, 16, kMaxDamageRects, "damage rectangles")) return false;
  d.damage.resize(damage);
  for (Rect& rect : d.damage) {
    if (!r.u32(&rect.x) || !r.u32(&rect.y) || !r.u32(&rect.w) || !r.u32(&rect.h)) return false;
    if (rectEmpty(rect) || !rectInside(rect, m.width, m.height)) return r.fail("damage rectangle outside the frame, or empty");
  }
  uint64_t pixelBytes = 0;
  if (!r.u64(&pixelBytes)) return false;
  const uint64_t expected = uint64_t{m.width} * m.height * 4;
  if (pixelBytes != expected) return r.fail(std::to_string(pixelBytes) + " pixel bytes for a frame of " + std::to_string(expected));
  if (pixelBytes > r.left()) return r.fail("truncated (pixels)");
  d.pixels.resize(pixelBytes / 4);
  return r.get(d.pixels.data(), pixelBytes);
}

bool readIosfc(Reader& r, EngineState::Iosfc& f, const GuestMemoryView& guest) {
  r.part("iosfc");
  if (!r.u32(&f.select) || !r.u32(&f.errorCode) || !r.u32(&f.irqStatus) || !r.u32(&f.irqMask) || !r.u64(&f.errorCount)) return false;
  if (f.select >= kIosfcSurfaces) return r.fail("surface select " + std::to_string(f.select));
  if (f.errorCode >= kErrorKinds) return r.fail("error code " + std::to_string(f.errorCode) + " is no error");
  if ((f.irqStatus | f.irqMask) & ~1u) return r.fail("IRQ status or mask with bits no cause uses");
  for (uint32_t i = 0; i < kIosfcSurfaces; ++i) {
    EngineState::Surface& s = f.surfaces[i];
    if (!r.u64(&s.gpa) || !r.u32(&s.width) || !r.u32(&s.height) || !r.u32(&s.stride) || !r.u32(&s.flags) || !r.flag(&s.mapped, "mapped")) return false;
    const std::string what = "surface " + std::to_string(i);
    if ((s.flags & ~1u) != 0) return r.fail(what + ": flags " + hex(s.flags));
    if (!s.mapped) continue;
    // As Iosfc::command checks a map.
    const bool geometryOk = s.width > 0 && s.height > 0 && s.width <= kIosfcMaxDimension && s.height <= kIosfcMaxDimension && s.stride >= 4ull * s.width;
    if (!geometryOk)
      return r.fail(what + ": mapped with geometry " + std::to_string(s.width) + "x" + std::to_string(s.height) + " stride " + std::to_string(s.stride));
    if (!guest.translate(s.gpa, uint64_t{s.stride} * s.height, GuestAccess::Read)) return r.fail(what + ": mapped outside guest memory");
  }
  return true;
}
}  // namespace

std::vector<uint8_t> encodeEngineState(const EngineState& s) {
  Writer w;
  w.u32(kEngineStateMagic);
  w.u32(kEngineStateVersion);
  w.u32(static_cast<uint32_t>(s.displays.size()));
  w.u32(s.iosfc ? 1 : 0);
  const auto& g = s.registers;
  for (uint32_t v : {g.errorCode, g.errorCount, g.irqStatus, g.irqMask, g.fenceCompleted, g.ringGpaLo, g.ringGpaHi, g.ringSize, g.doorbellTail, g.ringHead,
                     g.displaySelect, g.modeSelect})
    w.u32(v);
  w.u32(s.ring.running ? 1 : 0);
  w.u32(s.ring.task);
  w.u32(s.ring.payload);
  w.u32(static_cast<uint32_t>(s.contexts.size()));
  for (const auto& c : s.contexts) {
    w.u32(c.number);
    w.u32(c.task);
    w.u64(c.size);
  }
  w.u32(static_cast<uint32_t>(s.tasks.size()));
  for (const auto& t : s.tasks) {
    w.u32(t.id);
    w.u64(t.vmSize);
    w.u32(static_cast<uint32_t>(t.mappings.size()));
    for (const auto& m : t.mappings) {
      w.u64(m.va);
      w.u64(m.gpa);
      w.u64(m.length);
      w.u32(m.readOnly ? 1 : 0);
    }
  }
  for (const auto& d : s.displays) {
    w.i32(d.mode);
    w.u32(d.generation);
    w.u32(d.frameSeq);
    w.u32((d.drawnSincePresent ? 1u : 0u) | (d.cursorVisible ? 2u : 0u));
    w.i32(d.cursorX);
    w.i32(d.cursorY);
    w.u32(static_cast<uint32_t>(d.damage.size()));
    for (const Rect& r : d.damage) {
      w.u32(r.x);
      w.u32(r.y);
      w.u32(r.w);
      w.u32(r.h);
    }
    w.u64(uint64_t{d.pixels.size()} * 4);
    w.put(d.pixels.data(), d.pixels.size() * 4);
  }
  if (s.iosfc) {
    const auto& f = *s.iosfc;
    w.u32(f.select);
    w.u32(f.errorCode);
    w.u32(f.irqStatus);
    w.u32(f.irqMask);
    w.u64(f.errorCount);
    for (const auto& x : f.surfaces) {
      w.u64(x.gpa);
      w.u32(x.width);
      w.u32(x.height);
      w.u32(x.stride);
      w.u32(x.flags);
      w.u32(x.mapped ? 1 : 0);
    }
  }
  return std::move(w.out);
}

std::optional<EngineState> decodeEngineState(std::span<const uint8_t> bytes, const EngineStateLimits& limits, EngineStateError* error) {
  *error = EngineStateError{};
  Reader r(bytes, error);
  EngineState s;
  uint32_t magic = 0, version = 0, displays = 0, iosfc = 0;
  if (!r.u32(&magic) || !r.u32(&version) || !r.u32(&displays) || !r.u32(&iosfc)) return std::nullopt;
  if (magic != kEngineStateMagic) return r.fail("not an engine state (magic " + hex(magic) + ")"), std::nullopt;
  if (version != kEngineStateVersion)
    return r.fail("version " + std::to_string(version) + ", this engine reads " + std::to_string(kEngineStateVersion)), std::nullopt;
  if (displays != limits.modes.size())
    return r.fail(std::to_string(displays) + " displays, the engine has " + std::to_string(limits.modes.size())), std::nullopt;
  if (iosfc != (limits.iosfc ? 1u : 0u))
    return r.fail(iosfc > 1 ? "iosfc flag " + std::to_string(iosfc) : "IOSurface window present in one and not the other"), std::nullopt;
  if (!readRegisters(r, s.registers) || !readRing(r, s) || !readContexts(r, s, limits) || !readTasks(r, s, limits)) return std::nullopt;
  s.displays.resize(displays);
  for (uint32_t i = 0; i < displays; ++i) {
    r.part("display " + std::to_string(i));
    if (!readDisplay(r, s.displays[i], limits.modes[i])) return std::nullopt;
  }
  if (limits.iosfc) {
    s.iosfc.emplace(EngineState::Iosfc{});
    if (!readIosfc(r, *s.iosfc, *limits.guest)) return std::nullopt;
  }
  r.part("end");
  if (r.left() != 0) return r.fail(std::to_string(r.left()) + " bytes after the state"), std::nullopt;
  return s;
}
}  // namespace pvg::engine
