#pragma once

// The decisions of a durable mailbox that delivers to a local actor, as
// pure state (no actors, no store, no clock): one envelope in flight at a
// time, in sequence order; an answer acknowledges it; a failure repeats it
// after a capped exponential backoff until `max_deliveries`, then (or at
// once for an error that a retry cannot fix) it becomes a dead letter and
// the next one follows. After a restart the head may have been in delivery
// when the node stopped, so its count goes up before it is delivered again:
// a message that crashes the whole process also reaches dead letters.
//
// The mailbox actor (actors/mailbox_actor) drives it from its own thread
// and does the I/O each decision names.

#include <chrono>
#include <cstdint>
#include <optional>

#include <caf/error.hpp>

#include "runtime/mailbox/pending_queue.hpp"

namespace bsm::mailbox {

struct delivery_options {
  /// Failed deliveries after which an envelope is a dead letter.
  uint32_t max_deliveries = 5;
  /// Wait before the first redelivery; doubles per failure up to the max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
};

/// What to do with the envelope whose delivery ended.
struct delivery_outcome {
  enum class kind {
    /// The answer to a delivery already given up: nothing.
    stale,
    /// The handler finished: delete `e` (only `seq` is set).
    acknowledged,
    /// Rewrite `e` with its new count and deliver it again after `delay`;
    /// it is back at the queue's head.
    redeliver,
    /// Move `e` to dead letters with the error; it left the depth.
    dead_letter,
  };
  kind what = kind::stale;
  entry e;
  std::chrono::milliseconds delay{0};
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

  /// True while a delivery waits for its answer.
  bool in_flight() const noexcept {
    return in_flight_.has_value();
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

  /// `e` (from take_next) is on its way to the handler. Returns the token
  /// its answer carries.
  uint64_t start(entry e);

  /// The delivery with `token` ended: no `err`, or CAF's
  /// unexpected_response (the handler answered with a type this side did
  /// not list), means it finished.
  delivery_outcome answered(uint64_t token, const caf::error& err);

  /// The delivery in flight failed (the target stopped during it).
  /// REQUIRES: in_flight().
  delivery_outcome failed(const caf::error& err);

  /// An envelope from take_next that cannot be delivered (its payload does
  /// not decode) is a dead letter: it leaves the depth.
  void dropped() {
    pending_.settle(1);
  }

private:
  pending_queue pending_;
  delivery_options opts_;
  std::optional<entry> in_flight_;
  /// Tells a delivery's answer from the answer to an older one.
  uint64_t token_ = 0;
  /// The head may have been in delivery when the node stopped.
  bool head_suspect_ = false;
  std::chrono::milliseconds backoff_;
};

} // namespace bsm::mailbox
