// Runs every registered native test; exits non-zero when any check failed.
#include <cstring>
#include <exception>

#include "harness.h"

namespace pvg::test {
namespace {
int g_failures = 0;
}
std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}
void recordFailure(const char* file, int line, const std::string& what) {
  ++g_failures;
  std::fprintf(stderr, "    FAILED %s:%d: %s\n", file, line, what.c_str());
}
}  // namespace pvg::test

int main(int argc, char** argv) {
  using namespace pvg::test;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const TestCase& t : registry()) {
    if (filter && std::strstr(t.name, filter) == nullptr) continue;
    int before = g_failures;
    try {
      t.body();
    } catch (const RequireFailed&) {
    } catch (const std::exception& e) {
      recordFailure(__FILE__, __LINE__, std::string("exception: ") + e.what());
    }
    bool ok = g_failures == before;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", t.name);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
