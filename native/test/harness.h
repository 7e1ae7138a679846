// A minimal test harness for the native tests (run by ctest, under ASan/UBSan and TSan too).
// PVG_TEST(name) { ... } registers a test; PVG_CHECK(cond) records a failure and continues;
// PVG_REQUIRE(cond) records a failure and leaves the test.
#pragma once
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace pvg::test {
struct TestCase {
  const char* name;
  std::function<void()> body;
};
std::vector<TestCase>& registry();
void recordFailure(const char* file, int line, const std::string& what);
struct RequireFailed {};
struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back({name, std::move(body)}); }
};
}  // namespace pvg::test

#define PVG_TEST_CONCAT2(a, b) a##b
#define PVG_TEST_CONCAT(a, b) PVG_TEST_CONCAT2(a, b)
#define PVG_TEST(name)                                                                                                    \
  static void PVG_TEST_CONCAT(pvg_test_fn_, __LINE__)();                                                                  \
  static ::pvg::test::Registrar PVG_TEST_CONCAT(pvg_test_reg_, __LINE__)(name, &PVG_TEST_CONCAT(pvg_test_fn_, __LINE__)); \
  static void PVG_TEST_CONCAT(pvg_test_fn_, __LINE__)()
#define PVG_CHECK(cond)                                                 \
  do {                                                                  \
    if (!(cond)) ::pvg::test::recordFailure(__FILE__, __LINE__, #cond); \
  } while (0)
#define PVG_REQUIRE(cond)                                    \
  do {                                                       \
    if (!(cond)) {                                           \
      ::pvg::test::recordFailure(__FILE__, __LINE__, #cond); \
      throw ::pvg::test::RequireFailed{};                    \
    }                                                        \
  } while (0)
