#pragma once

// The decisions of an outbox (durable sends to names another node owns), as
// pure state (no actors, no store, no clock): entries go to the peer in
// batches of at most `batch` entries and `batch_bytes` envelope bytes (one
// entry always fits, so a frame is at most the larger of the two), at most
// `pipeline` batches unacknowledged at once, each waiting at most `ack_timeout`
// for its LinkAck. An ack acknowledges a prefix: entries up to its up_to_seq
// are done (or refused for good: dead letters), the rest of that batch was not
// taken. Whatever is not taken, and every batch whose ack failed or timed out,
// goes back to the queue's head in sequence order and the whole window is sent
// again after a backoff (capped at a second: the peer dedups resent entries by
// key), so entries arrive once and in order. Late acks of batches given up on
// are ignored.
//
// The outbox actor (actors/outbox_actor) drives it from its own thread and
// does the I/O each decision names.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/caf_types.hpp"
#include "runtime/mailbox/pending_queue.hpp"

namespace bsm::mailbox {

struct link_options {
  /// Most entries per batch.
  size_t batch = 256;
  /// Most envelope bytes per batch (a first entry goes alone if larger):
  /// a batch is one frame, which the peer's cluster port bounds.
  size_t batch_bytes = 16u << 20;
  /// Batches sent before the first ack.
  size_t pipeline = 4;
  /// Wait for a batch's ack before it counts as failed.
  std::chrono::milliseconds ack_timeout{10'000};
  /// How often an outbox with nothing in flight looks for its peer.
  std::chrono::milliseconds poll{100};
  /// Wait before the window is sent again; doubles per failure up to
  /// backoff_max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5'000};
};

/// A batch to send: `batch` lacks only the sender's name and incarnation.
struct outgoing_batch {
  uint64_t token = 0;
  v1::LinkBatch batch;
};

/// What an ack decided.
struct ack_outcome {
  /// The ack of a batch already given up on (its entries were requeued
  /// and the resend is a duplicate there): nothing to do.
  bool stale = true;
  /// Sequence numbers the peer has: delete them.
  std::vector<uint64_t> done;
  /// Entries the peer refused for good, with its error: dead letters.
  std::vector<std::pair<entry, std::string>> refused;
  /// Set if the peer did not take the whole batch: everything in flight is
  /// back in the queue; send again after this wait.
  std::optional<std::chrono::milliseconds> retry_after;
};

/// What a failed (or timed out) batch decided.
struct failure_outcome {
  /// The batch was already given up on: nothing to do.
  bool stale = true;
  /// Entries of the failed batch.
  size_t unacked = 0;
  /// True for the first failure since the last full ack (worth a log line).
  bool first = false;
  /// Everything in flight is back in the queue; send again after this wait.
  std::chrono::milliseconds retry_after{0};
};

class link_window {
public:
  explicit link_window(size_t window = 1024, uint64_t max_depth = 100'000,
                       link_options opts = {});

  pending_queue& pending() noexcept {
    return pending_;
  }

  const pending_queue& pending() const noexcept {
    return pending_;
  }

  const link_options& options() const noexcept {
    return opts_;
  }

  /// Recovers from the disk's state. Resent entries are duplicates at the
  /// peer, so nothing is counted.
  void opened(uint64_t head_seq, uint64_t next_seq);

  /// True while the pipeline has room for another batch and the outbox
  /// is not draining.
  bool can_send() const noexcept {
    return !draining_ && in_flight_.size() < opts_.pipeline;
  }

  /// A graceful stop: no batch is sent from now on; those in flight end
  /// as usual (a failed one stays on disk for the next run).
  void drain() noexcept {
    draining_ = true;
  }

  /// True once draining and no batch waits for its ack.
  bool drained() const noexcept {
    return draining_ && idle();
  }

  /// True while no batch waits for its ack.
  bool idle() const noexcept {
    return in_flight_.empty();
  }

  /// Takes the next batch off the queue's head.
  /// REQUIRES: can_send() and !pending().empty().
  outgoing_batch next_batch();

  /// The peer acknowledged the batch `token`.
  ack_outcome acked(uint64_t token, const v1::LinkAck& ack);

  /// The batch `token` failed or timed out.
  failure_outcome failed(uint64_t token);

private:
  void requeue_all();
  std::chrono::milliseconds next_backoff();

  pending_queue pending_;
  link_options opts_;
  /// Batches waiting for their ack, by token (in sending order).
  std::map<uint64_t, std::vector<entry>> in_flight_;
  uint64_t token_ = 0;
  std::chrono::milliseconds backoff_;
  bool draining_ = false;
};

} // namespace bsm::mailbox
