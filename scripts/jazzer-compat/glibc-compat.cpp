// What @jazzer.js/fuzzer's prebuilt addon (built on a glibc 2.38 / GCC 13 system) needs from a
// newer C and C++ runtime than Debian 12's (glibc 2.36, libstdc++ of GCC 12), and nothing else:
// the C23 strtol/strtoul (same results except for "0b" prefixes with base 0 or 2, which the addon
// does not parse) and GCC 13's iostream initialiser. Preloaded only where the prebuild does not
// load as it is (scripts/fuzz-js.mjs; docs/fuzzing.md "JavaScript targets").
#include <cstdlib>
#include <ios>

extern "C" long __isoc23_strtol(const char* s, char** end, int base) { return std::strtol(s, end, base); }
extern "C" unsigned long __isoc23_strtoul(const char* s, char** end, int base) { return std::strtoul(s, end, base); }

namespace std {
// GCC 13 calls this from every unit that includes <iostream>, instead of a static ios_base::Init.
void ios_base_library_init() { static ios_base::Init init; }
}  // namespace std
