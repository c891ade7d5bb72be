#pragma once

// When is the node's memory budget exhausted? A pure rule over one sample
// of what the store and the process hold (store::memory_in_use,
// resident_bytes), so that it can be tested with numbers. The HTTP front
// refuses new work with 503 while it says so (http_api/access_gate.hpp).

#include <cstdint>
#include <string>

namespace bsm {

/// One sample of memory in use, in bytes.
struct memory_use {
  /// The shared block cache: its size (the budget), what it holds (blocks
  /// and the memtables charged to it) and what of that cannot be evicted
  /// (blocks in use, level 0's pinned index and filter blocks, memtables).
  uint64_t cache_capacity = 0;
  uint64_t cache_usage = 0;
  uint64_t cache_pinned = 0;
  /// Memtables of all column families, flushed or not yet released.
  uint64_t memtables = 0;
  /// Table readers outside the cache (small: index and filter blocks are
  /// in the cache).
  uint64_t table_readers = 0;
  /// The process's resident set; 0 when unknown.
  uint64_t resident = 0;
};

struct memory_limits {
  /// store.memory_budget.
  uint64_t budget = 0;
  /// store.memory_headroom.
  uint64_t headroom = 0;
};

/// The store's memory that eviction cannot free. Memtables are charged to
/// the cache as pinned entries, so the pinned usage already counts them
/// once the write buffer manager has caught up: the larger of the two, not
/// their sum, so that nothing is counted twice.
uint64_t store_held(const memory_use& x);

/// The most the process may hold: budget + budget / 10 + headroom. The
/// tenth is the allocator's slack on the cache's blocks, which the cache
/// does not count (issue 28's target: RSS within 10% of the budget plus
/// 64 MiB).
uint64_t resident_limit(const memory_limits& limits);

/// The rule. The budget is exhausted when either
/// - what the store holds that cannot be evicted (store_held) reaches the
///   budget: the cache cannot make room, so new work would grow memory
///   past it; or
/// - the resident set exceeds resident_limit(): the process beyond the
///   store has outgrown its allowance.
/// Returns why it is exhausted, or an empty string when it is not.
std::string exhausted(const memory_limits& limits, const memory_use& x);

} // namespace bsm
