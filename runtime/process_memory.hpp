#pragma once

#include <cstdint>

namespace bsm {

/// The process's resident set in bytes, from /proc/self/statm (a read of
/// kernel memory, no disk); 0 where that file cannot be read.
uint64_t resident_bytes();

/// Gives the allocator's free pages back to the system once it holds at
/// least `min_free` bytes of them; returns the bytes it held free then (0
/// if it released nothing). tcmalloc keeps freed pages until asked, so a
/// burst (a password hash's 32 MiB, blocks the store's cache evicted)
/// would stay in the resident set; with another allocator, nothing.
uint64_t release_free_memory(uint64_t min_free);

} // namespace bsm
