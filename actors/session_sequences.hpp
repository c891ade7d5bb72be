#pragma once

// The last turn number of recently used sessions, so that appending a turn
// does not read the store first. Bounded: a session used least recently is
// forgotten, and its number is read back from the store on its next turn.
//
// A turn handed to a mailbox (the effect path) is in no store yet, and may
// be committed at any time later, or never: a number read back from the
// store could then be handed out twice. Such turns are kept apart as
// pending until a store read shows them, and a number read back is never
// below a session's pending one. Pending entries are bounded too, but
// never below `min_pending`: a mailbox has at most one uncommitted batch
// (of at most mailbox.max_batch, 4096, envelopes) in flight, so a session
// whose pending turn is evicted had it committed long before.
//
// The node owns one and hands it to each incarnation of the memory actor:
// a restart between handing out an effect turn and its commit must not
// hand that number out again. Not thread-safe: one memory actor at a time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "runtime/containers/bounded_lru.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm {

/// Series bsm_memory_sequence_cache_* (size and evictions of both maps);
/// null members of a default-built one are not updated.
struct session_sequence_metrics {
  metrics::gauge* sessions = nullptr;
  metrics::counter* evictions = nullptr;
  metrics::gauge* pending = nullptr;
  metrics::counter* pending_evictions = nullptr;

  /// Registers the families in `reg`.
  static session_sequence_metrics make(metrics::registry& reg);
};

class session_sequences {
public:
  /// Least number of pending sessions held, whatever the session bound:
  /// twice the largest mailbox batch.
  static constexpr size_t min_pending = 8192;

  /// REQUIRES: max_sessions > 0.
  explicit session_sequences(size_t max_sessions,
                             session_sequence_metrics metrics = {});

  /// The last number given to `session`, if held (now most recently used).
  std::optional<uint64_t> last(std::string_view session);

  /// Holds the last number of `session` read back from the store
  /// (`stored`) and returns it, raised to the session's pending number.
  uint64_t reloaded(std::string_view session, uint64_t stored);

  /// Turns up to `seq` of `session` are numbered for a direct write to the
  /// store (made next; if it fails, the numbers are skipped).
  void assigned(std::string_view session, uint64_t seq);

  /// Turns up to `seq` of `session` were handed to a mailbox, not stored.
  void handed_out(std::string_view session, uint64_t seq);

  /// The newest turn of `session` handed to a mailbox and not yet seen in
  /// the store, if any.
  std::optional<uint64_t> pending(std::string_view session) const;

  /// A store read showed the pending turn of `session` (or a later one).
  void seen(std::string_view session);

  /// Forgets the last number of `session` (its turns were written by
  /// another node: a copy's); read back from the store when next needed.
  void forget(std::string_view session);

  /// Forgets every session whose key starts with `prefix`, pending or
  /// not: their store copy was replaced (a hand-off of the agent's state).
  void forget_prefix(std::string_view prefix);

  size_t sessions() const noexcept {
    return last_.size();
  }
  size_t pending_sessions() const noexcept {
    return pending_.size();
  }
  uint64_t evictions() const noexcept {
    return last_.evictions();
  }
  uint64_t pending_evictions() const noexcept {
    return pending_.evictions();
  }

private:
  void publish();

  bounded_lru<uint64_t> last_;
  bounded_lru<uint64_t> pending_;
  session_sequence_metrics metrics_;
  uint64_t published_evictions_ = 0;
  uint64_t published_pending_evictions_ = 0;
};

} // namespace bsm
