#pragma once

// Limits of agent memory (section `memory:`, the memory actor). The
// initialisers are the defaults; keys and ranges are in
// memory_options.cpp. Reload: none; a change needs a restart.

#include <cstdint>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct memory_options {
  /// Longest key.
  uint64_t max_key_bytes = 1024;
  /// Largest value.
  uint64_t max_value_bytes = 1ull << 20;
  /// Largest session turn (content).
  uint64_t max_turn_bytes = 256ull << 10;
  /// Sessions whose newest turns are held in memory (0: no cache).
  uint64_t session_cache_sessions = 1024;
  /// Newest turns held per session: history reads of up to this many
  /// turns are answered from the cache.
  uint64_t session_cache_turns = 32;
  /// Bytes the session cache may hold over all sessions.
  uint64_t session_cache_bytes = 16ull << 20;
  /// Sessions whose last turn number is held in memory; the number of a
  /// session beyond the bound is read back from the store on its next
  /// turn.
  uint64_t sequence_cache_sessions = 100'000;
};

/// The `memory:` section.
const config::section<memory_options>& memory_section();

} // namespace bsm
