#pragma once

// The durable mailboxes' series, registered once per node and shared by the
// router and every mailbox (each series is a lock-free atomic).

#include "runtime/metrics/registry.hpp"

namespace bsm {

struct mailbox_metrics {
  /// Appends that reached the disk.
  metrics::counter& appended;
  /// Sends acknowledged as duplicates of an earlier idempotency key.
  metrics::counter& duplicates;
  /// Sends refused because the mailbox was full.
  metrics::counter& rejected_full;
  /// Sends refused because the store did not take the write.
  metrics::counter& rejected_store;
  /// Deliveries started (first and repeated).
  metrics::counter& deliveries;
  /// Deliveries that failed and will be repeated.
  metrics::counter& redeliveries;
  /// Envelopes whose handler finished.
  metrics::counter& acknowledged;
  /// Envelopes moved to dead letters.
  metrics::counter& dead_lettered;
  /// The same by {actor, reason} (bsm_dead_letters_total); the actors are
  /// mailbox targets, which are named actors, so the labels stay bounded.
  metrics::family<metrics::counter>& dead_letters_by;
  /// Dead letters dropped because their mailbox held mailbox.dead_letter_max.
  metrics::counter& dead_letters_dropped;
  /// Unacknowledged envelopes over all mailboxes.
  metrics::gauge& pending;

  /// Registers the bsm_mailbox_* families in `reg`.
  static mailbox_metrics make(metrics::registry& reg);
};

} // namespace bsm
