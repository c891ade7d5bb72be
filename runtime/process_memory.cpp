#include "runtime/process_memory.hpp"

#include <unistd.h>

#include <cstddef>
#include <fstream>

// gperftools' C interface, weak: null unless tcmalloc is linked (bsmd and
// the benchmarks link it; the test binaries do not).
extern "C" {
__attribute__((weak)) int
MallocExtension_GetNumericProperty(const char* property, size_t* value);
__attribute__((weak)) void MallocExtension_ReleaseFreeMemory(void);
}

namespace bsm {

uint64_t resident_bytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::ifstream in{"/proc/self/statm"};
  uint64_t size = 0;
  uint64_t resident = 0;
  if (!(in >> size >> resident))
    return 0;
  auto page = sysconf(_SC_PAGESIZE);
  return page > 0 ? resident * static_cast<uint64_t>(page) : 0;
}

uint64_t release_free_memory(uint64_t min_free) {
  if (MallocExtension_GetNumericProperty == nullptr
      || MallocExtension_ReleaseFreeMemory == nullptr)
    return 0;
  size_t free_bytes = 0;
  if (!MallocExtension_GetNumericProperty("tcmalloc.pageheap_free_bytes",
                                          &free_bytes)
      || free_bytes < min_free)
    return 0;
  MallocExtension_ReleaseFreeMemory();
  return free_bytes;
}

} // namespace bsm
