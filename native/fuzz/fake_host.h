// A synchronous, in-process host for the fuzzed engine: every callback is answered on the engine
// thread that makes it (the contract allows that: callbacks are plain calls that return when
// answered). It plays the device actor's rules (actors/device/task-space.ts) in strict mode, or
// accepts everything in permissive mode (so the engine's own guards are what stands between the
// guest and memory), and refuses the callbacks an input picks.
//
// It also checks what the engine owes its host (FUZZ_CHECK aborts): sizes and ranges already
// validated, no call for a task or surface the engine does not hold, display handlers only on the
// display queue and in order, encodes that describe what they wrote.
#pragma once
#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <span>

#include "core/guest_memory.h"
#include "abi/surface_layout.h"
#include "engine/contract.h"
#include "abi/protocol.h"
#include "abi/engine_records.h"
#include "engine/threads/job_queue.h"
#include "check.h"
#include "input.h"
#include "layout.h"
#include "engine/soft/engine_state.h"

namespace pvg::fuzz {
using engine::HostStatus;
using engine::PhysicalRange;

struct HostOptions {
  bool permissive = false;  // accept every map/unmap/read (the engine's own checks must hold)
  uint32_t refuseBits = 0;  // refusable callback n is refused when bit n % 32 is set
};

// The host's behaviour from an input's config byte (bit 0: permissive; bit 1: a refusal mask follows).
inline HostOptions readHostOptions(Input& in, uint8_t config) {
  HostOptions options;
  options.permissive = (config & 1) != 0;
  options.refuseBits = (config & 2) != 0 ? in.u32() : 0;
  return options;
}

// Where display 0's encodes land, for checking what the engine wrote there.
struct SurfacePoolView {
  const uint8_t* base = nullptr;
  uint64_t surfaceBytes = 0;
  uint32_t count = 0;
};

class FakeHost final : public engine::HostCallbacks {
 public:
  static constexpr uint32_t kBarrierGeneration = 0xFFFFFFFFu;  // an encode no display can serve

  FakeHost(const GuestMemoryView& guest, HostOptions options, SurfacePoolView pool) : guest_(guest), options_(options), pool_(pool) {}

  engine::CreatedTask createTask(uint64_t vmSize) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(vmSize != 0 && vmSize % 4096 == 0 && vmSize <= kMaxContextBytes, "createTask(0x%llx)", ull(vmSize));
    if (refuse()) return {HostStatus::Refused, 0, 0};
    const uint32_t id = nextTask_++;
    tasks_[id] = Task{vmSize, {}};
    return {HostStatus::Ok, id, uint64_t{id} << 32};
  }

  HostStatus destroyTask(uint32_t task) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(tasks_.count(task) == 1, "destroyTask(%u): not a live task (never created, or destroyed twice)", task);
    tasks_.erase(task);
    return HostStatus::Ok;
  }

  HostStatus mapMemory(uint32_t task, uint64_t va, bool readOnly, std::span<const PhysicalRange> ranges) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(tasks_.count(task) == 1, "mapMemory for task %u, which is not alive", task);
    FUZZ_CHECK(!ranges.empty() && ranges.size() <= engine::proto::kMaxMapRanges, "mapMemory with %zu ranges", ranges.size());
    for (const PhysicalRange& r : ranges) {
      FUZZ_CHECK(r.gpa % 4096 == 0 && r.length != 0 && r.length % 4096 == 0, "mapMemory range 0x%llx+0x%llx", ull(r.gpa), ull(r.length));
    }
    if (refuse()) return HostStatus::Refused;
    if (options_.permissive) return HostStatus::Ok;
    // Strict: task-space.ts's rules, all or nothing.
    Task& t = tasks_[task];
    if (va % 4096 != 0) return HostStatus::Refused;
    uint64_t cursor = va;
    const GuestAccess access = readOnly ? GuestAccess::Read : GuestAccess::Write;
    for (const PhysicalRange& r : ranges) {
      if (!guest_.translate(r.gpa, r.length, access)) return HostStatus::Refused;
      if (cursor > t.vmSize || r.length > t.vmSize - cursor) return HostStatus::Refused;
      cursor += r.length;
    }
    if (overlaps(t, va, cursor)) return HostStatus::Refused;
    uint64_t at = va;
    for (const PhysicalRange& r : ranges) {
      t.mappings[at] = r.length;
      at += r.length;
    }
    return HostStatus::Ok;
  }

  HostStatus unmapMemory(uint32_t task, uint64_t va, uint64_t length) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(tasks_.count(task) == 1, "unmapMemory for task %u, which is not alive", task);
    if (refuse()) return HostStatus::Refused;
    if (options_.permissive) return HostStatus::Ok;
    Task& t = tasks_[task];
    if (va % 4096 != 0 || length == 0 || length % 4096 != 0 || va > t.vmSize || length > t.vmSize - va) return HostStatus::Refused;
    const uint64_t end = va + length;
    // A range that cuts a mapping removes nothing; one with nothing inside is refused too.
    auto it = t.mappings.lower_bound(va);
    if (it != t.mappings.begin() && std::prev(it)->first + std::prev(it)->second > va) return HostStatus::Refused;
    bool any = false;
    for (auto m = it; m != t.mappings.end() && m->first < end; ++m) {
      if (m->first + m->second > end) return HostStatus::Refused;
      any = true;
    }
    if (!any) return HostStatus::Refused;
    while (it != t.mappings.end() && it->first < end) it = t.mappings.erase(it);
    return HostStatus::Ok;
  }

  HostStatus readMemory(uint64_t gpa, uint64_t length, uint8_t* dst) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(length != 0 && length <= engine::proto::kMaxReadMemBytes, "readMemory of %llu bytes", ull(length));
    if (refuse()) return HostStatus::Refused;
    if (guest_.read(gpa, dst, length) == GuestMemoryError::None) return HostStatus::Ok;
    if (!options_.permissive) return HostStatus::Refused;
    std::memset(dst, 0xA5, length);  // a host that makes something up: the engine must cope
    return HostStatus::Ok;
  }

  // One vector per cause, its IRQ_STATUS bit number (docs/protocol.md): fence 0, error 1, ring idle 2.
  void raiseInterrupt(uint32_t vector) override {
    constexpr uint32_t kCauses = engine::proto::IrqFence | engine::proto::IrqError | engine::proto::IrqRingIdle;
    FUZZ_CHECK(vector < 32 && ((1u << vector) & kCauses) != 0, "raiseInterrupt(%u)", vector);
  }

  void newFrame(uint32_t display, uint32_t frameSeq) override {
    std::lock_guard lock(mutex_);
    onDisplayQueue(display, "newFrame");
    FUZZ_CHECK(frameSeq == frameSeq_[display] + 1, "newFrame %u after %u on display %u", frameSeq, frameSeq_[display], display);
    frameSeq_[display] = frameSeq;
  }

  void modeChange(uint32_t display, uint32_t width, uint32_t height, uint32_t pixelFormat, uint32_t modeIndex, uint32_t generation) override {
    std::lock_guard lock(mutex_);
    onDisplayQueue(display, "modeChange");
    const Mode m = mode(display, modeIndex);
    FUZZ_CHECK(m.width == width && m.height == height, "modeChange %ux%u for mode %u of display %u", width, height, modeIndex, display);
    FUZZ_CHECK(pixelFormat == engine::proto::kPixelFormatBGRA, "modeChange pixel format 0x%x", pixelFormat);
    FUZZ_CHECK(generation == generation_[display] + 1, "mode generation %u after %u", generation, generation_[display]);
    generation_[display] = generation;
  }

  void cursorGlyph(uint32_t display, std::span<const uint32_t> argb, uint32_t width, uint32_t height, uint32_t hotX, uint32_t hotY) override {
    std::lock_guard lock(mutex_);
    onDisplayQueue(display, "cursorGlyph");
    FUZZ_CHECK(width >= 1 && width <= 256 && height >= 1 && height <= 256 && hotX < width && hotY < height && argb.size() == size_t{width} * height,
               "cursorGlyph %ux%u hot %u,%u with %zu pixels", width, height, hotX, hotY, argb.size());
  }
  void cursorShow(uint32_t display, bool) override {
    std::lock_guard lock(mutex_);
    onDisplayQueue(display, "cursorShow");
  }
  void cursorMove(uint32_t display, int32_t, int32_t) override {
    std::lock_guard lock(mutex_);
    onDisplayQueue(display, "cursorMove");
  }

  void encodeDone(uint32_t display, uint32_t surface, uint32_t generation, uint32_t status, uint32_t frameSeq, uint32_t damageCount) override {
    std::lock_guard lock(mutex_);
    if (display >= kDisplays) {
      FUZZ_CHECK(status == engine::rec::EncodeBadRequest, "encode for display %u answered %u", display, status);
      return;
    }
    encodesDone_[display]++;
    FUZZ_CHECK(encodesDone_[display] <= encodesAsked_[display], "display %u: more encodes answered than asked", display);
    if (display == 1) {  // only the harness's barriers go to display 1
      FUZZ_CHECK(generation == kBarrierGeneration, "display 1 encode of generation %u", generation);
      FUZZ_CHECK(status == engine::rec::EncodeNoMode || status == engine::rec::EncodeStaleMode, "barrier encode answered %u", status);
      barriers_++;
      barrierDone_.notify_all();
      return;
    }
    FUZZ_CHECK(status <= engine::rec::EncodeStaleMode, "encode status %u", status);
    if (status == engine::rec::EncodeOk) checkEncoded(display, surface, generation, frameSeq, damageCount);
    lastEncode_ = EncodeResult{surface, generation, status};
    encodeDone_.notify_all();
  }

  HostStatus iosfcMapMemory(uint32_t surface, uint64_t gpa, uint64_t length, bool readOnly) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(surface < engine::proto::kIosfcSurfaces && (surfacesMapped_ & (1u << surface)) == 0, "iosfcMapMemory(%u): no such surface, or already mapped",
               surface);
    FUZZ_CHECK(length != 0, "iosfcMapMemory of 0 bytes");
    if (refuse()) return HostStatus::Refused;
    if (!options_.permissive && !guest_.translate(gpa, length, readOnly ? GuestAccess::Read : GuestAccess::Write)) return HostStatus::Refused;
    surfacesMapped_ |= 1u << surface;
    return HostStatus::Ok;
  }

  HostStatus iosfcUnmapMemory(uint32_t surface) override {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(surface < engine::proto::kIosfcSurfaces && (surfacesMapped_ & (1u << surface)) != 0, "iosfcUnmapMemory(%u): not mapped", surface);
    surfacesMapped_ &= ~(1u << surface);
    return HostStatus::Ok;
  }

  void iosfcRaiseInterrupt(uint32_t vector) override { FUZZ_CHECK(vector == 0, "iosfcRaiseInterrupt(%u)", vector); }

  // The harness's side.

  // Between inputs (the rig's end() has powered the engine on): checks that the engine holds
  // nothing of the host's — no task, no mapped surface, no encode unanswered.
  void checkIdle() {
    std::lock_guard lock(mutex_);
    FUZZ_CHECK(tasks_.empty(), "%zu host tasks alive after power-on", tasks_.size());
    FUZZ_CHECK(surfacesMapped_ == 0, "host surfaces 0x%x mapped after power-on", surfacesMapped_);
    for (uint32_t d = 0; d < kDisplays; ++d) {
      FUZZ_CHECK(encodesDone_[d] == encodesAsked_[d], "display %u: %llu encodes asked, %llu answered", d, ull(encodesAsked_[d]), ull(encodesDone_[d]));
    }
  }
  // The start of an input: a new host with these options (the engine holds nothing of the old one).
  void powerOn(HostOptions options) {
    std::lock_guard lock(mutex_);
    options_ = options;
    nextTask_ = 1;
    calls_ = refused_ = barriers_ = 0;
    frameSeq_ = {};
    generation_ = {};
    encodesAsked_ = {};
    encodesDone_ = {};
    lastEncode_ = {};
  }

  // After a saved state was loaded into the engine (engine_state.h): the host's side of it, as
  // the device actor restores its own from the snapshot — the tasks and their mappings, the
  // mapped surfaces, and each display's frame and generation the callbacks are checked against.
  void adopt(const engine::EngineState& state) {
    std::lock_guard lock(mutex_);
    for (const engine::EngineState::Task& t : state.tasks) {
      Task& task = tasks_[t.id];
      task.vmSize = t.vmSize;
      for (const engine::EngineState::Mapping& m : t.mappings) task.mappings[m.va] = m.length;
      nextTask_ = std::max(nextTask_, t.id + 1);
    }
    for (uint32_t i = 0; state.iosfc && i < engine::proto::kIosfcSurfaces; ++i) surfacesMapped_ |= state.iosfc->surfaces[i].mapped ? 1u << i : 0u;
    for (uint32_t d = 0; d < kDisplays && d < state.displays.size(); ++d) {
      frameSeq_[d] = state.displays[d].frameSeq;
      generation_[d] = state.displays[d].generation;
    }
  }

  void askedEncode(uint32_t display) {
    std::lock_guard lock(mutex_);
    if (display < kDisplays) encodesAsked_[display]++;
  }
  uint64_t barriers() {
    std::lock_guard lock(mutex_);
    return barriers_;
  }
  // Waits until more than `count` barrier encodes were answered; false after the timeout.
  bool waitBarriers(uint64_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return barriers_ > count || barrierDone_.wait_for(lock, timeout, [&] { return barriers_ > count; });  // no clock read if done
  }
  size_t liveTasks() {
    std::lock_guard lock(mutex_);
    return tasks_.size();
  }
  uint32_t surfacesMapped() {
    std::lock_guard lock(mutex_);
    return surfacesMapped_;
  }
  // Waits until display 0 has answered more than `count` encodes; false after the timeout.
  bool waitEncodes(uint64_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return encodesDone_[0] > count || encodeDone_.wait_for(lock, timeout, [&] { return encodesDone_[0] > count; });
  }
  uint64_t encodesDone(uint32_t display) {
    std::lock_guard lock(mutex_);
    return encodesDone_[display];
  }
  struct EncodeResult {
    uint32_t surface = 0, generation = 0, status = ~0u;
  };
  // The last answered encode of display 0.
  EncodeResult lastEncode() {
    std::lock_guard lock(mutex_);
    return lastEncode_;
  }
  // Callbacks refused by the schedule (not by a rule).
  uint64_t refusals() {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  struct Task {
    uint64_t vmSize = 0;
    std::map<uint64_t, uint64_t> mappings;  // va → length (strict mode)
  };
  static unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

  bool refuse() {
    const bool r = (options_.refuseBits >> (calls_++ % 32)) & 1;
    refused_ += r ? 1 : 0;
    return r;
  }
  static bool overlaps(const Task& t, uint64_t start, uint64_t end) {
    auto next = t.mappings.lower_bound(start);
    if (next != t.mappings.end() && next->first < end) return true;
    return next != t.mappings.begin() && std::prev(next)->first + std::prev(next)->second > start;
  }
  static Mode mode(uint32_t display, uint32_t index) {
    if (display == 0 && index < kDisplay0Modes.size()) return kDisplay0Modes[index];
    if (display == 1 && index < kDisplay1Modes.size()) return kDisplay1Modes[index];
    FUZZ_CHECK(false, "mode %u of display %u does not exist", index, display);
    return {};
  }
  static void onDisplayQueue(uint32_t display, const char* what) {
    FUZZ_CHECK(display < kDisplays, "%s for display %u", what, display);
    FUZZ_CHECK(engine::currentEngineThread() == 1, "%s on engine thread %d, not the display queue", what, engine::currentEngineThread());
  }
  void checkEncoded(uint32_t display, uint32_t surface, uint32_t generation, uint32_t frameSeq, uint32_t damageCount) {
    FUZZ_CHECK(display == 0 && surface < pool_.count, "encode ok into display %u surface %u", display, surface);
    const auto* h = reinterpret_cast<const uint32_t*>(pool_.base + pool_.surfaceBytes * surface);
    const uint32_t w = h[surface::kWidthWord], ht = h[surface::kHeightWord];
    FUZZ_CHECK(h[surface::kGenerationWord] == generation && h[surface::kFrameSeqWord] == frameSeq && h[surface::kDamageCountWord] == damageCount &&
                   h[surface::kStrideWord] == w * 4,
               "surface header disagrees with encodeDone");
    FUZZ_CHECK(surface::kHeaderBytes + uint64_t{w} * ht * 4 <= pool_.surfaceBytes, "encoded %ux%u into a smaller surface", w, ht);
    FUZZ_CHECK(damageCount <= surface::kMaxDamage, "%u damage rectangles", damageCount);
    for (uint32_t i = 0; i < damageCount; ++i) {
      const uint32_t* r = h + surface::kDamageWord + 4 * i;
      FUZZ_CHECK(r[2] != 0 && r[3] != 0 && uint64_t{r[0]} + r[2] <= w && uint64_t{r[1]} + r[3] <= ht, "damage rectangle %u outside", i);
    }
  }

  const GuestMemoryView& guest_;
  HostOptions options_;
  const SurfacePoolView pool_;
  std::mutex mutex_;
  std::condition_variable barrierDone_, encodeDone_;
  std::map<uint32_t, Task> tasks_;
  uint32_t nextTask_ = 1;
  uint32_t surfacesMapped_ = 0;
  uint64_t calls_ = 0, refused_ = 0, barriers_ = 0;
  std::array<uint32_t, kDisplays> frameSeq_{}, generation_{};
  std::array<uint64_t, kDisplays> encodesAsked_{}, encodesDone_{};
  EncodeResult lastEncode_;
};
}  // namespace pvg::fuzz
