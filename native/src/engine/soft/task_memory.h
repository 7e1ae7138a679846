// The engine's view of task address spaces: for each task, the mappings the host (the device
// actor) accepted, translated to pointers into guest RAM. Every access from command processing
// goes through here — in effect an IOMMU — so the engine can touch nothing the host did not map,
// and nothing read-only for writing. Pointers always point into the guest-RAM SAB, which lives
// as long as the engine, so a racing unmap can make a read stale but never dangling.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <vector>

#include "abi/binding_strings.h"
#include "core/guest_memory.h"
#include "engine/contract.h"
#include "engine/soft/engine_state.h"

namespace pvg::engine {
enum class TaskAccess { Read, Write };

// What a map or unmap does where mappings already are (the host's rules, mirrored here:
// actors/device/task-space.ts MapSemantics). Strict: an overlapping map is refused and an unmap
// removes only whole mappings. Framework (the host contract upstream QEMU gives the framework):
// a map overwrites what it overlaps, an unmap clears its range, and mappings either covers in
// part keep their parts outside.
// Its spellings are the Engine option's (abi/schema/binding-strings.ts).
using MapSemantics = strings::MapSemantics;

class TaskMemory {
 public:
  explicit TaskMemory(const GuestMemoryView& guest, MapSemantics semantics = MapSemantics::Strict) : guest_(guest), semantics_(semantics) {}

  void addTask(uint32_t task, uint64_t vmSize);
  void removeTask(uint32_t task);
  bool hasTask(uint32_t task) const;
  size_t taskCount() const;
  // Installs a mapping the host accepted; false (nothing installed) if the engine's own checks
  // disagree — the caller then asks the host to unmap it again.
  bool addMapping(uint32_t task, uint64_t va, bool readOnly, std::span<const PhysicalRange> ranges);
  // Removes every mapping inside [va, va + length) (framework: and the parts of those it cuts).
  void removeRange(uint32_t task, uint64_t va, uint64_t length);
  size_t mappingCount(uint32_t task) const;

  // Every task and its mappings, by id and va (engine_state.h; only while no command runs).
  std::vector<EngineState::Task> save() const;
  // Installs tasks a saved state names (decodeEngineState checked them) into an empty table,
  // without the host: the host restored its own side. False, nothing installed, if not empty or
  // a range is not in guest memory after all.
  bool load(const std::vector<EngineState::Task>& tasks);

  // A pointer to [va, va + length) if it lies inside one mapping with the access allowed.
  uint8_t* pointer(uint32_t task, uint64_t va, uint64_t length, TaskAccess access) const;
  // Copies across adjacent mappings; false (and nothing partial promised) on any gap or fault.
  bool read(uint32_t task, uint64_t va, void* dst, uint64_t length) const;
  bool write(uint32_t task, uint64_t va, const void* src, uint64_t length);

 private:
  struct Mapping {
    uint64_t length;
    uint8_t* host;
    bool readOnly;
    uint64_t gpa;  // where host points, for save()
  };
  struct Task {
    uint64_t vmSize;
    std::map<uint64_t, Mapping> mappings;  // by va
  };
  const Mapping* find(const Task& t, uint64_t va, uint64_t* offsetInMapping) const;
  // Framework semantics: clears [start, end), keeping the parts of cut mappings outside it.
  static void cut(Task& t, uint64_t start, uint64_t end);
  template <class F>
  bool forEachSpan(uint32_t task, uint64_t va, uint64_t length, TaskAccess access, F&& f) const;

  const GuestMemoryView& guest_;
  const MapSemantics semantics_;
  mutable std::shared_mutex mutex_;  // writers: map/unmap/create/destroy; readers: command processing
  std::map<uint32_t, Task> tasks_;
};
}  // namespace pvg::engine
