#pragma once

#include <cstdint>

namespace bsm {

/// The process's resident set in bytes, from /proc/self/statm (a read of
/// kernel memory, no disk); 0 where that file cannot be read.
uint64_t resident_bytes();

} // namespace bsm
