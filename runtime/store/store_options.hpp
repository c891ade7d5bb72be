#pragma once

// Options of the node's store (section `store:`). The initialisers are the
// defaults; keys and ranges are in store_options.cpp. Reload: none; a
// change needs a restart.

#include <cstdint>

#include "runtime/config/config_section.hpp"

namespace bsm {

enum class durability {
  /// Nothing survives a crash.
  none,
  /// Survives a process crash, not a power loss.
  os,
  /// Survives a power loss (one fsync per group commit).
  fsync,
};

/// What the store does when it finds a damaged write-ahead log at start.
enum class wal_recovery {
  /// Refuse to start and name the damaged file. The operator decides.
  /// A last record cut short (a write a crash interrupted, never
  /// acknowledged) is dropped, not refused.
  strict,
  /// Recover up to the last consistent record; later records are lost.
  tolerant,
};

struct store_options {
  bsm::durability durability = durability::os;
  /// The store's one memory budget, in bytes: the size of the LRU block
  /// cache every column family shares. It holds data, index and filter
  /// blocks (index and filter at high priority, level 0's pinned), and the
  /// memtables of all column families are charged to it; they flush once
  /// together they reach half of it. Default: 256 MiB.
  uint64_t memory_budget = 256ull << 20;
  /// What the process may hold beyond `memory_budget` and a tenth of it
  /// (threads, actors, HTTP buffers) before new HTTP work is refused
  /// (memory_budget.hpp). Default: 64 MiB.
  uint64_t memory_headroom = 192ull << 20;
  /// One column family's memtable is flushed at this size. At most half
  /// of `memory_budget`. Default: 16 MiB.
  uint64_t write_buffer_bytes = 16ull << 20;
  /// The write-ahead logs' total size, in bytes, past which RocksDB
  /// flushes the memtables that keep the oldest log alive (a family with
  /// few writes would otherwise pin every log written since its last
  /// flush). It bounds what a start after a crash replays. 0:
  /// `write_buffer_bytes`, about one memtable's worth, the most a busy
  /// family holds unflushed anyway. Otherwise at least
  /// `write_buffer_bytes`. Default: 0.
  uint64_t max_wal_bytes = 0;
  bsm::wal_recovery wal_recovery = wal_recovery::strict;
};

/// The memtables of all column families together flush at this size:
/// half of the budget, so that reads keep the other half.
uint64_t memtable_budget(const store_options& opts);

/// The write-ahead logs' limit in force: `max_wal_bytes`, or
/// `write_buffer_bytes` when that is 0.
uint64_t wal_limit(const store_options& opts);

/// The `store:` section. `block_cache_bytes` is retired: setting it is a
/// config error that names `memory_budget` (node_config.cpp).
const config::section<store_options>& store_section();

} // namespace bsm
