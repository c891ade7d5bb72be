#pragma once

// Reads one agent's state (agent_state.hpp) out of the store in chunks of
// bounded size, for a transfer to another node: a decommissioned node's
// hand-off, a replica's catch-up. Every chunk comes from one snapshot taken
// when the chunker is made, so the chunks together are the agent's state at
// one point in time even if writes go on. Blocking store reads: use it on a
// detached actor or a thread of its own, never on a CAF scheduler thread.
// Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/db.h>

#include "bsm/v1/handoff.pb.h"
#include "runtime/store/agent_state.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

/// How large one chunk may grow.
struct chunk_limits {
  /// Most key and value bytes in a chunk; an entry larger than this travels
  /// alone. Default: 256 KiB.
  size_t max_bytes = 256 * 1024;
  /// Most entries in a chunk. Default: 1024.
  size_t max_entries = 1024;
};

class state_chunker {
public:
  /// REQUIRES: `db` outlives the chunker; limits are above zero.
  state_chunker(const store& db, std::string agent, chunk_limits limits = {});
  ~state_chunker();

  state_chunker(const state_chunker&) = delete;
  state_chunker& operator=(const state_chunker&) = delete;

  /// The next chunk: entries in range order (agent_state_ranges), key order
  /// within a range, numbered from 0; the one that ends the state has
  /// `last` set (and may hold no entries). REQUIRES: !done().
  /// Errors: those of the store's reads (unavailable, failed_precondition);
  /// the chunker may then be asked again for the same chunk.
  [[nodiscard]] caf::expected<v1::StateChunk> next();

  /// True once the chunk with `last` was returned.
  bool done() const noexcept {
    return done_;
  }

  /// Entries and key and value bytes returned so far.
  uint64_t entries() const noexcept {
    return entries_;
  }
  uint64_t bytes() const noexcept {
    return bytes_;
  }

private:
  /// Adds the entries of the current range from `from_` on; false once the
  /// chunk is full (from_ then names the first entry left out).
  caf::expected<bool> fill(v1::StateChunk& chunk, size_t& chunk_bytes);

  const store& db_;
  std::string agent_;
  chunk_limits limits_;
  std::vector<state_range> ranges_;
  const rocksdb::Snapshot* snapshot_;
  /// The range being read and the key to resume at (empty: its start).
  size_t range_ = 0;
  std::string from_;
  uint64_t seq_ = 0;
  bool done_ = false;
  uint64_t entries_ = 0;
  uint64_t bytes_ = 0;
};

} // namespace bsm
