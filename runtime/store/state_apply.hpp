#pragma once

// The receiving side of a transfer of one agent's state (state_chunker):
// which chunks to write, and the write itself. The decision is a plain
// class; the write blocks on the store (a detached actor's work).

#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "bsm/v1/handoff.pb.h"
#include "runtime/containers/bounded_lru.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

/// Checks that every entry of `chunk` is part of its agent's state
/// (in_agent_state). Errors: invalid_argument naming the first that is not
/// or an empty agent.
[[nodiscard]] caf::error check_state_chunk(const v1::StateChunk& chunk);

/// Writes `chunk` in one atomic batch and returns the entries written. The
/// first chunk of a transfer (seq 0) also clears every range of the agent
/// in the same batch, so what the receiver held of the agent before (a
/// stale copy from an earlier ownership) does not mix with what comes.
/// Errors: those of check_state_chunk (nothing written); those of
/// store::write.
[[nodiscard]] caf::expected<size_t>
apply_state_chunk(store& db, const v1::StateChunk& chunk);

/// What to do with a chunk that arrives.
enum class chunk_verdict {
  /// Write it.
  apply,
  /// Written before (its answer was lost): answer again, write nothing.
  repeat,
  /// Out of order (a chunk before it is missing): refuse; the sender starts
  /// the transfer again from seq 0.
  refuse,
};

/// The next chunk expected per sender and agent. A transfer starts at seq 0
/// whenever the sender likes (a restart, a sender that lost its place): a
/// seq 0 is always applied. Bounded: an evicted transfer's next chunk is
/// refused and the sender starts again.
class chunk_sequences {
public:
  /// REQUIRES: max_transfers > 0.
  explicit chunk_sequences(size_t max_transfers = default_max_transfers);

  /// Default bound: transfers tracked at once.
  static constexpr size_t default_max_transfers = 4096;

  chunk_verdict check(const std::string& from_node, const std::string& agent,
                      uint64_t seq) const;

  /// `seq` of that transfer was written: the next one is expected.
  void applied(const std::string& from_node, const std::string& agent,
               uint64_t seq);

  size_t size() const noexcept {
    return next_.size();
  }

private:
  static std::string key_of(const std::string& from_node,
                            const std::string& agent);

  bounded_lru<uint64_t> next_;
};

} // namespace bsm
