#include "engine/soft/task_memory.h"

#include <cstring>
#include <vector>

namespace pvg::engine {
void TaskMemory::addTask(uint32_t task, uint64_t vmSize) {
  std::unique_lock lock(mutex_);
  tasks_[task] = Task{vmSize, {}};
}

void TaskMemory::removeTask(uint32_t task) {
  std::unique_lock lock(mutex_);
  tasks_.erase(task);
}

size_t TaskMemory::taskCount() const {
  std::shared_lock lock(mutex_);
  return tasks_.size();
}

bool TaskMemory::hasTask(uint32_t task) const {
  std::shared_lock lock(mutex_);
  return tasks_.count(task) != 0;
}

bool TaskMemory::addMapping(uint32_t task, uint64_t va, bool readOnly, std::span<const PhysicalRange> ranges) {
  std::vector<std::pair<uint64_t, Mapping>> pending;
  pending.reserve(ranges.size());
  uint64_t at = va;
  const GuestAccess access = readOnly ? GuestAccess::Read : GuestAccess::Write;
  for (const PhysicalRange& r : ranges) {
    uint8_t* host = guest_.pointer(r.gpa, r.length, access);
    if (host == nullptr || r.length == 0 || at + r.length < at) return false;
    pending.push_back({at, Mapping{r.length, host, readOnly, r.gpa}});
    at += r.length;
  }
  std::unique_lock lock(mutex_);
  auto it = tasks_.find(task);
  if (it == tasks_.end() || at > it->second.vmSize) return false;
  auto& maps = it->second.mappings;
  if (semantics_ == MapSemantics::Framework) {
    cut(it->second, va, at);
    for (auto& [start, m] : pending) maps.emplace(start, m);
    return true;
  }
  // Refuse overlap with what is installed (the host checked too; this is the engine's own guard).
  auto next = maps.lower_bound(va);
  if (next != maps.end() && next->first < at) return false;
  if (next != maps.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.length > va) return false;
  }
  for (auto& [start, m] : pending) maps.emplace(start, m);
  return true;
}

void TaskMemory::cut(Task& t, uint64_t start, uint64_t end) {
  auto& maps = t.mappings;
  auto it = maps.lower_bound(start);
  if (it != maps.begin()) {
    auto prev = std::prev(it);
    const uint64_t prevEnd = prev->first + prev->second.length;
    if (prevEnd > start) {
      // It starts before the range: its head stays, and its tail if it runs past the range (then
      // nothing else can start inside the range: mappings are disjoint).
      const bool pastEnd = prevEnd > end;
      if (pastEnd)
        maps.emplace(end, Mapping{prevEnd - end, prev->second.host + (end - prev->first), prev->second.readOnly, prev->second.gpa + (end - prev->first)});
      prev->second.length = start - prev->first;
      if (pastEnd) return;
    }
  }
  while (it != maps.end() && it->first < end) {
    const uint64_t mEnd = it->first + it->second.length;
    if (mEnd > end) {
      const Mapping tail{mEnd - end, it->second.host + (end - it->first), it->second.readOnly, it->second.gpa + (end - it->first)};
      maps.erase(it);
      maps.emplace(end, tail);
      return;
    }
    it = maps.erase(it);
  }
}

void TaskMemory::removeRange(uint32_t task, uint64_t va, uint64_t length) {
  std::unique_lock lock(mutex_);
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return;
  auto& maps = it->second.mappings;
  const uint64_t end = va + length < va ? UINT64_MAX : va + length;
  if (semantics_ == MapSemantics::Framework) return cut(it->second, va, end);
  for (auto m = maps.lower_bound(va); m != maps.end() && m->first < end;) {
    if (m->first + m->second.length <= end) {
      m = maps.erase(m);
    } else {
      ++m;
    }
  }
}

size_t TaskMemory::mappingCount(uint32_t task) const {
  std::shared_lock lock(mutex_);
  auto it = tasks_.find(task);
  return it == tasks_.end() ? 0 : it->second.mappings.size();
}

std::vector<EngineState::Task> TaskMemory::save() const {
  std::shared_lock lock(mutex_);
  std::vector<EngineState::Task> out;
  for (const auto& [id, t] : tasks_) {
    EngineState::Task& task = out.emplace_back(EngineState::Task{id, t.vmSize, {}});
    for (const auto& [va, m] : t.mappings) task.mappings.push_back(EngineState::Mapping{va, m.gpa, m.length, m.readOnly});
  }
  return out;
}

bool TaskMemory::load(const std::vector<EngineState::Task>& tasks) {
  std::map<uint32_t, Task> loaded;
  for (const EngineState::Task& t : tasks) {
    Task& task = loaded[t.id];
    task.vmSize = t.vmSize;
    for (const EngineState::Mapping& m : t.mappings) {
      uint8_t* host = guest_.pointer(m.gpa, m.length, m.readOnly ? GuestAccess::Read : GuestAccess::Write);
      if (host == nullptr) return false;
      task.mappings.emplace(m.va, Mapping{m.length, host, m.readOnly, m.gpa});
    }
  }
  std::unique_lock lock(mutex_);
  if (!tasks_.empty()) return false;
  tasks_.swap(loaded);
  return true;
}

const TaskMemory::Mapping* TaskMemory::find(const Task& t, uint64_t va, uint64_t* offsetInMapping) const {
  auto next = t.mappings.upper_bound(va);
  if (next == t.mappings.begin()) return nullptr;
  auto m = std::prev(next);
  const uint64_t offset = va - m->first;
  if (offset >= m->second.length) return nullptr;
  *offsetInMapping = offset;
  return &m->second;
}

uint8_t* TaskMemory::pointer(uint32_t task, uint64_t va, uint64_t length, TaskAccess access) const {
  std::shared_lock lock(mutex_);
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return nullptr;
  uint64_t offset = 0;
  const Mapping* m = find(it->second, va, &offset);
  if (m == nullptr || length > m->length - offset) return nullptr;
  if (access == TaskAccess::Write && m->readOnly) return nullptr;
  return m->host + offset;
}

template <class F>
bool TaskMemory::forEachSpan(uint32_t task, uint64_t va, uint64_t length, TaskAccess access, F&& f) const {
  std::shared_lock lock(mutex_);
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return false;
  if (va + length < va) return false;
  uint64_t done = 0;
  while (done < length) {
    uint64_t offset = 0;
    const Mapping* m = find(it->second, va + done, &offset);
    if (m == nullptr || (access == TaskAccess::Write && m->readOnly)) return false;
    const uint64_t n = std::min(length - done, m->length - offset);
    f(m->host + offset, done, n);
    done += n;
  }
  return true;
}

bool TaskMemory::read(uint32_t task, uint64_t va, void* dst, uint64_t length) const {
  auto* out = static_cast<uint8_t*>(dst);
  return forEachSpan(task, va, length, TaskAccess::Read, [out](const uint8_t* src, uint64_t at, uint64_t n) { std::memcpy(out + at, src, n); });
}

bool TaskMemory::write(uint32_t task, uint64_t va, const void* src, uint64_t length) {
  // Check the whole range first so a fault leaves nothing half-written.
  if (!forEachSpan(task, va, length, TaskAccess::Write, [](uint8_t*, uint64_t, uint64_t) {})) return false;
  const auto* in = static_cast<const uint8_t*>(src);
  return forEachSpan(task, va, length, TaskAccess::Write, [in](uint8_t* dst, uint64_t at, uint64_t n) { std::memcpy(dst, in + at, n); });
}
}  // namespace pvg::engine
