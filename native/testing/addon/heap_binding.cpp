// The C heap as glibc's malloc sees it, for the soak test's native-heap samples (bench/soak,
// which runs from a checkout: a debugging aid, so in the testing addon, not the package's).
// mallinfo2() sums every arena; ArrayBuffer and SharedArrayBuffer backing stores come from
// malloc too, so they are counted here as well as in process.memoryUsage().arrayBuffers.
#include <cstdlib>  // defines __GLIBC__ on glibc

#include "testing/addon/bindings.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define PVG_HAVE_MALLINFO2 1
#endif

namespace pvg::addon {
namespace {
// heapStats(trim = false) -> { allocatedBytes, mmappedBytes, arenaBytes, freeBytes } | null
// (null: no mallinfo2, i.e. not glibc, or glibc older than 2.33; or malloc is not glibc's, e.g.
// under ASan, whose allocator answers mallinfo2 with zeros although this process has allocated).
//   allocatedBytes  in use: chunks handed out from the arenas (uordblks) + mmapped chunks (hblkhd)
//   mmappedBytes    the large allocations malloc served with mmap (hblkhd)
//   arenaBytes      memory the arenas hold from the system, in use or free (arena)
//   freeBytes       free chunks inside the arenas (fordblks)
// trim: first hand the free memory of every arena back to the system (malloc_trim(0)), so that
// the process's RSS shows what is in use rather than the high-water mark of freed buffers.
Napi::Value HeapStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef PVG_HAVE_MALLINFO2
  if (info.Length() > 0 && info[0].ToBoolean().Value()) malloc_trim(0);
  const struct mallinfo2 m = mallinfo2();
  if (m.arena == 0 && m.hblkhd == 0) return env.Null();  // glibc's arenas are never empty here
  Napi::Object out = Napi::Object::New(env);
  out.Set("allocatedBytes", static_cast<double>(m.uordblks + m.hblkhd));
  out.Set("mmappedBytes", static_cast<double>(m.hblkhd));
  out.Set("arenaBytes", static_cast<double>(m.arena));
  out.Set("freeBytes", static_cast<double>(m.fordblks));
  return out;
#else
  return env.Null();
#endif
}
}  // namespace

void registerHeap(Napi::Env env, Napi::Object exports) { exports.Set("heapStats", Napi::Function::New(env, HeapStats, "heapStats")); }
}  // namespace pvg::addon
