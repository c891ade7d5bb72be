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
  strict,
  /// Recover up to the last consistent record; later records are lost.
  tolerant,
};

struct store_options {
  bsm::durability durability = durability::os;
  /// RocksDB block cache.
  uint64_t block_cache_bytes = 64ull << 20;
  /// RocksDB write buffer (memtable) per column family.
  uint64_t write_buffer_bytes = 16ull << 20;
  bsm::wal_recovery wal_recovery = wal_recovery::strict;
};

/// The `store:` section.
const config::section<store_options>& store_section();

} // namespace bsm
