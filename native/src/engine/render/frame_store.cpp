#include "engine/render/frame_store.h"

namespace pvg::engine {
const char* storeFaultName(StoreFault fault) {
  switch (fault) {
    case StoreFault::None:
      return "none";
    case StoreFault::OutOfMemory:
      return "out-of-memory";
    case StoreFault::DeviceLost:
      return "device-lost";
    case StoreFault::Other:
      return "device-error";
  }
  return "unknown";
}
}  // namespace pvg::engine
