#pragma once

// The decisions of a durable mailbox that delivers to a local actor, as
// pure state (no actors, no store; the clock is a parameter), in sequence
// order. A plain handler gets one envelope per delivery, up to
// `delivery_window` deliveries in flight (a window); a store-backed handler
// gets one batch from the head at a time, whose answer is committed before
// the delivery ends.
//
// The window is go-back-N: envelopes are acknowledged in sequence order
// only (an answer waits for those of every earlier delivery), and the
// acknowledged ones are collected for one removal write (take_acks). The
// first delivery k that fails in sequence order (error answer, target
// stopped, timeout) is judged: its count rises and it is repeated after a
// capped exponential backoff until `max_deliveries`, then (or at once for
// an error that a retry cannot fix) it becomes a dead letter. The
// deliveries after k go back to the queue uncounted and their answers are
// stale; k is delivered alone until it is done with, then k+1.. come again
// in order. So a handler may see k+1 before k's retry and again after it,
// but the last processing of each envelope is in sequence order. An error
// answer that came while an earlier delivery was unanswered judges nobody
// (the handler may have refused it only because it was busy with the
// earlier one): once it reaches the head it goes back uncounted and is
// delivered alone, and judged then.
//
// A failed batch judges nobody: its envelopes go back and are delivered
// one at a time, so only an envelope that fails alone is counted and
// buried; the same after a restart that interrupted a delivery (a window
// or a batch). After a restart the head may have been in delivery when the
// node stopped, so its count goes up before it is delivered again: a message
// that crashes the whole process also reaches dead letters.
//
// The mailbox actor (actors/mailbox_actor) drives it from its own thread
// and does the I/O each decision names.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
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
  /// Most deliveries in flight at once to a plain handler; 1 delivers one
  /// at a time.
  size_t delivery_window = 32;
  /// The handler is store-backed: deliveries are batches (take_batch), and
  /// a restart sorts out max_batch envelopes one at a time, not a window's.
  bool batches = false;
};

/// What to do with the delivery that ended.
struct delivery_outcome {
  enum class kind {
    /// The answer to a delivery already given up: nothing.
    stale,
    /// An answer kept until every earlier delivery of the window is
    /// answered: nothing yet.
    waiting,
    /// The handler finished: `count` envelopes from `e` (only `seq` is
    /// set) left the queue. For a batch the commit removed them; for a
    /// window their removal waits in take_acks().
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
  /// Envelopes the delivery carried (those that left, for an
  /// acknowledgement).
  size_t count = 0;
  /// Why the delivery of `e` failed (redeliver, dead_letter).
  caf::error error;
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
  using time_point = std::chrono::steady_clock::time_point;

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
    return !in_flight_.empty() || !window_.empty();
  }

  /// True if another delivery may start now: not draining, no batch in
  /// flight, and the window has room (one delivery at a time while a
  /// failure or a restart is sorted out).
  bool may_start() const noexcept {
    return !draining_ && in_flight_.empty() && window_.size() < window_limit();
  }

  /// A graceful stop: no delivery starts from now on; those in flight end
  /// as usual (a failed one goes back to the queue, undelivered).
  void drain() noexcept {
    draining_ = true;
  }

  /// True once draining and nothing is left to wait for: no delivery in
  /// flight (a batch's commit included) and no acknowledgement left to
  /// take (take_acks). The removals taken last may still be on their way
  /// to disk.
  bool drained() const noexcept {
    return draining_ && !in_flight() && acks_.empty();
  }

  /// When the oldest delivery still waiting for its answer started (not a
  /// batch being committed): the one the delivery timeout judges.
  std::optional<time_point> oldest_started() const;

  /// The wait before the next delivery is tried, now.
  std::chrono::milliseconds backoff() const noexcept {
    return backoff_;
  }

  /// After a restart, once: raises the head's count. Nothing if the head
  /// is not suspect. REQUIRES: !pending().empty().
  std::optional<recount> recount_head();

  /// Takes the head out of the queue to decode it. REQUIRES: may_start()
  /// and !pending().empty().
  entry take_next() {
    return pending_.pop_front();
  }

  /// Takes up to max_batch envelopes from the head of the window for one
  /// delivery; one at a time while a failed or interrupted batch is being
  /// sorted out. REQUIRES: !in_flight() and !pending().empty().
  std::vector<entry> take_batch();

  /// `e` (from take_next) is on its way to the handler, since `now`: it
  /// joins the window. Returns the token its answer carries.
  uint64_t start(entry e, time_point now = {});

  /// The delivery in flight, head first (empty if none).
  const std::vector<entry>& in_flight_batch() const noexcept {
    return in_flight_;
  }

  /// As above for a batch from take_batch (not empty). REQUIRES: nothing
  /// in flight.
  uint64_t start(std::vector<entry> batch, time_point now = {});

  /// The handler has answered the delivery with `token` and its effects
  /// are being committed: from now on only the commit's outcome, through
  /// answered(), ends it; the target stopping no longer does. Returns false
  /// for a stale token.
  bool committing(uint64_t token);

  /// The delivery with `token` ended: no `err`, or CAF's
  /// unexpected_response (the handler answered with a type this side did
  /// not list), means it finished. In a window the outcome is that of the
  /// deliveries it completes in sequence order (waiting if an earlier one
  /// is unanswered).
  delivery_outcome answered(uint64_t token, const caf::error& err);

  /// The oldest delivery in flight failed (the target stopped, or it timed
  /// out); for a window, also those after it go back. Stale once a batch's
  /// commit has begun, or with nothing in flight.
  delivery_outcome failed(const caf::error& err);

  /// True if the collected acknowledgements should be written now: the
  /// window emptied, or a window's worth is collected.
  bool acks_due() const noexcept {
    return !acks_.empty()
           && (window_.empty() || acks_.size() >= opts_.delivery_window);
  }

  /// The envelopes acknowledged from the window since the last call, in
  /// sequence order, for one removal write.
  std::vector<uint64_t> take_acks() {
    return std::exchange(acks_, {});
  }

  /// An envelope from take_next that cannot be delivered (its payload does
  /// not decode) is a dead letter: it leaves the depth.
  void dropped() {
    pending_.settle(1);
  }

private:
  /// A delivery of the window.
  struct slot {
    entry e;
    uint64_t token = 0;
    time_point started;
    /// failed: an error answer while it was the oldest in flight, judged
    /// once it is the head; failed_behind: one while an earlier delivery
    /// was unanswered, delivered again alone, uncounted.
    enum class state { waiting, done, failed, failed_behind };
    state st = state::waiting;
    caf::error err;
  };

  size_t window_limit() const noexcept {
    return singles_left_ > 0 ? 1 : std::max<size_t>(opts_.delivery_window, 1);
  }

  slot* find(uint64_t token);
  /// Acknowledges the done deliveries at the window's head, then judges a
  /// failed one that reached it.
  delivery_outcome advance();
  /// The window's head failed: it is judged (unless `judged` is false),
  /// the rest go back.
  delivery_outcome go_back(caf::error err, bool judged = true);
  /// Counts the failure of `e`, delivered alone or the first to fail in a
  /// window, and puts it back (redeliver) or buries it (dead_letter).
  delivery_outcome judge(entry e, caf::error err);
  /// One delivery of the singles after a failure or restart is done with.
  void single_done() noexcept {
    if (singles_left_ > 0)
      --singles_left_;
  }

  pending_queue pending_;
  delivery_options opts_;
  /// The batch in flight, head first; empty if none.
  std::vector<entry> in_flight_;
  time_point batch_started_;
  /// The window's deliveries in flight, in sequence (and token) order; the
  /// head is always unanswered.
  std::deque<slot> window_;
  /// Acknowledged from the window, not yet taken for removal.
  std::vector<uint64_t> acks_;
  bool committing_ = false;
  /// Deliveries of one envelope each still to make before batches or the
  /// window resume: those of a failed batch, the retry of a failed
  /// delivery, or those a restart interrupted.
  size_t singles_left_ = 0;
  /// Tells a delivery's answer from the answer to an older one.
  uint64_t token_ = 0;
  /// The head may have been in delivery when the node stopped.
  bool head_suspect_ = false;
  /// A graceful stop: no delivery starts.
  bool draining_ = false;
  std::chrono::milliseconds backoff_;
};

} // namespace bsm::mailbox
