#include "runtime/process_memory.hpp"

#include <unistd.h>

#include <fstream>

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

} // namespace bsm
