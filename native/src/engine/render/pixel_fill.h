// The innermost loop of fills: count pixels set to one value. Its own translation unit so the
// fuzz build can leave it out of comparison tracing (native/CMakeLists.txt, docs/fuzzing.md): it
// has no branch but the loop's own count, and a trace hook per pixel cost the fuzzers a quarter
// of their time. Callers check every bound before they call it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pvg::engine {

void fillPixels(uint32_t* dst, size_t count, uint32_t argb) noexcept;

}  // namespace pvg::engine
