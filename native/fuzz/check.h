// Invariant checks for the fuzz harnesses: a broken invariant is a finding, so it aborts (libFuzzer
// then saves the input as a crash file) after printing what broke. Never used for guest input that
// the engine must refuse: only for what the engine itself must guarantee.
#pragma once
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                                    \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                         \
      std::fprintf(stderr, "\n");                                                                \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
