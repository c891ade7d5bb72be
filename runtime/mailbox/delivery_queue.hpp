#pragma once

// The decisions of a durable mailbox that delivers to a local actor, as
// pure state (no actors, no store, no clock): one delivery in flight at a
// time, in sequence order, of one envelope (a plain handler) or of a batch
// from the head (a store-backed handler, whose answer is committed before
// the delivery ends); an answer acknowledges it; a failure repeats it after
// a capped exponential backoff until `max_deliveries`, then (or at once for
// an error that a retry cannot fix) it becomes a dead letter and the next
// one follows. A failed batch judges nobody: its envelopes go back and are
// delivered one at a time, so only an envelope that fails alone is counted
// and buried; the same after a restart that interrupted a delivery. After a
// restart the head may have been in delivery when the node stopped, so its
// count goes up before it is delivered again: a message that crashes the whole
// process also reaches dead letters.
//
// The mailbox actor (actors/mailbox_actor) drives it from its own thread
// and does the I/O each decision names.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include <caf/error.hpp>

#include "runtime/mailbox/pending_queue.hpp"

namespace bsm::mailbox {

struct delivery_options {
  /// Failed deliveries after which an envelope is a dead letter.
  uint32_t max_deliveries = 5;
  /// Wait before the first redelivery; doubles per failure up to the max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
  /// Most envelopes in one delivery to a store-backed handler.
  size_t max_batch = 64;
};

/// What to do with the delivery that ended.
struct delivery_outcome {
  enum class kind {
    /// The answer to a delivery already given up: nothing.
    stale,
    /// The handler finished: delete `e` (only `seq` is set; for a batch,
    /// the first of its `count` envelopes, already removed by the commit).
    acknowledged,
    /// Rewrite `e` with its new count and deliver it again after `delay`;
    /// it is back at the queue's head (and the rest of its batch after it,
    /// their counts unchanged).
    redeliver,
    /// Move `e` to dead letters with the error; it left the depth.
    dead_letter,
  };
  kind what = kind::stale;
  entry e;
  std::chrono::milliseconds delay{0};
  /// Envelopes the delivery carried.
  size_t count = 0;
};

/// The head after a restart, its count raised.
struct recount {
  /// True if the count reached max_deliveries: `e` left the queue (and the
  /// depth) and is a dead letter. Else `e` is a copy of the head to rewrite
  /// before it is delivered.
  bool dead = false;
  entry e;
};

class delivery_queue {
public:
  explicit delivery_queue(size_t window = 1024, uint64_t max_depth = 100'000,
                          delivery_options opts = {});

  pending_queue& pending() noexcept {
    return pending_;
  }

  const pending_queue& pending() const noexcept {
    return pending_;
  }

  /// Recovers from the disk's state (see pending_queue::opened). If
  /// envelopes are pending, the head's count goes up before its delivery.
  void opened(uint64_t head_seq, uint64_t next_seq);

  /// True while a delivery waits for its answer or its commit.
  bool in_flight() const noexcept {
    return !in_flight_.empty();
  }

  /// The wait before the next delivery is tried, now.
  std::chrono::milliseconds backoff() const noexcept {
    return backoff_;
  }

  /// After a restart, once: raises the head's count. Nothing if the head
  /// is not suspect. REQUIRES: !pending().empty().
  std::optional<recount> recount_head();

  /// Takes the head out of the queue to decode it. REQUIRES: !in_flight()
  /// and !pending().empty().
  entry take_next() {
    return pending_.pop_front();
  }

  /// Takes up to max_batch envelopes from the head of the window for one
  /// delivery; one at a time while a failed or interrupted batch is being
  /// sorted out. REQUIRES: !in_flight() and !pending().empty().
  std::vector<entry> take_batch();

  /// `e` (from take_next) is on its way to the handler. Returns the token
  /// its answer carries.
  uint64_t start(entry e);

  /// The delivery in flight, head first (empty if none).
  const std::vector<entry>& in_flight_batch() const noexcept {
    return in_flight_;
  }

  /// As above for a batch from take_batch (not empty).
  uint64_t start(std::vector<entry> batch);

  /// The handler has answered the delivery with `token` and its effects
  /// are being committed: from now on only the commit's outcome, through
  /// answered(), ends it; the target stopping no longer does. Returns false
  /// for a stale token.
  bool committing(uint64_t token);

  /// The delivery with `token` ended: no `err`, or CAF's
  /// unexpected_response (the handler answered with a type this side did
  /// not list), means it finished.
  delivery_outcome answered(uint64_t token, const caf::error& err);

  /// The delivery in flight failed (the target stopped during it); stale
  /// once its commit has begun. REQUIRES: in_flight().
  delivery_outcome failed(const caf::error& err);

  /// An envelope from take_next that cannot be delivered (its payload does
  /// not decode) is a dead letter: it leaves the depth.
  void dropped() {
    pending_.settle(1);
  }

private:
  pending_queue pending_;
  delivery_options opts_;
  /// The delivery in flight, head first; empty if none.
  std::vector<entry> in_flight_;
  bool committing_ = false;
  /// Deliveries of one envelope each still to make before batches resume:
  /// those of a failed batch, or of one a restart interrupted.
  size_t singles_left_ = 0;
  /// Tells a delivery's answer from the answer to an older one.
  uint64_t token_ = 0;
  /// The head may have been in delivery when the node stopped.
  bool head_suspect_ = false;
  std::chrono::milliseconds backoff_;
};

} // namespace bsm::mailbox
