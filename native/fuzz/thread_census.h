// Engine threads alive in this process: those named "pvg-…" (each engine thread names itself).
// Counting only those keeps sanitizer runtimes' own threads (TSan starts one) out of the count.
//
// The rig counts after every input, so the count is cheap: /proc/self/task stays open and is
// rewound (one getdents instead of an open), and the names of the threads alive when the rig
// settled (settle(): every engine thread named) are remembered by thread id. Any other thread's
// name is read every time, since a new thread may not have named itself yet. A remembered id
// could only mislead if its thread exited and the kernel gave a new thread the same id, which
// takes a wrap of the whole pid space.
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "check.h"

namespace pvg::fuzz {
class ThreadCensus {
 public:
  ThreadCensus() : dir_(opendir("/proc/self/task")) { FUZZ_CHECK(dir_ != nullptr, "cannot list /proc/self/task"); }

  // Engine threads alive now.
  size_t engineThreads() {
    size_t n = 0;
    forEachThread([&](long tid) {
      const auto known = settled_.find(tid);
      n += (known != settled_.end() ? known->second : namedEngine(tid)) ? 1 : 0;
    });
    return n;
  }
  // Remembers the threads alive now and whether each is an engine thread (their names no longer change).
  void settle() {
    settled_.clear();
    forEachThread([&](long tid) { settled_[tid] = namedEngine(tid); });
  }

 private:
  template <typename F>
  void forEachThread(F f) {
    rewinddir(dir_.get());
    while (const dirent* e = readdir(dir_.get())) {
      if (e->d_name[0] != '.') f(std::strtol(e->d_name, nullptr, 10));
    }
  }
  static bool namedEngine(long tid) {
    char path[64], name[32] = {};
    std::snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // it exited meanwhile
    const ssize_t got = read(fd, name, sizeof name - 1);
    close(fd);
    return got >= 4 && std::strncmp(name, "pvg-", 4) == 0;
  }
  struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, DirCloser> dir_;
  std::map<long, bool> settled_;
};
}  // namespace pvg::fuzz
