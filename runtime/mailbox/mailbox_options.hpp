#pragma once

// Options of durable mailboxes (section `mailbox:`; DESIGN.md, "Durable
// mailboxes and memory"). The initialisers are the defaults; keys and
// ranges are in mailbox_options.cpp. Reload: none; a change needs a
// restart.

#include <chrono>
#include <cstdint>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct mailbox_options {
  /// Unacknowledged envelopes a mailbox holds before it refuses sends with
  /// `unavailable`.
  uint64_t max_depth = 100'000;
  /// Failed deliveries after which an envelope moves to dead letters.
  uint32_t max_deliveries = 5;
  /// Dead letters a mailbox keeps; a new one beyond it drops the oldest
  /// (counted in bsm_mailbox_dead_letters_dropped_total).
  uint64_t dead_letter_max = 10'000;
  /// Time a handler gets to finish (reply) before the delivery counts as
  /// failed.
  std::chrono::milliseconds delivery_timeout{300'000};
  /// Wait before the first redelivery of a failed envelope; doubles per
  /// failure up to redelivery_backoff_max.
  std::chrono::milliseconds redelivery_backoff_initial{100};
  std::chrono::milliseconds redelivery_backoff_max{5'000};
  /// How long an idempotency key is remembered.
  std::chrono::milliseconds idempotency_ttl{24 * 3'600'000};
  /// Largest envelope (payload and headers).
  uint64_t max_envelope_bytes = 1ull << 20;
  /// Envelopes a mailbox keeps in memory; the rest wait on disk.
  uint64_t window = 1024;
  /// Most envelopes in one delivery to a store-backed handler (memory),
  /// whose effects and their removal are then committed in one write.
  uint64_t max_batch = 64;
  /// Most deliveries in flight at once to a plain (not store-backed)
  /// handler, sent in sequence order; their acknowledgements are removed in
  /// one write. 1 delivers one envelope at a time. Default: 32.
  uint64_t delivery_window = 32;
  /// Outboxes to other nodes: most envelopes per batch, batches sent before
  /// the first ack (the link's pipeline), the wait for an ack, how often a
  /// waiting outbox looks for its peer, and the cap of the resend backoff
  /// (a peer that refused a batch, because it restarted or is overloaded,
  /// is tried again within it; also capped by redelivery_backoff_max).
  uint64_t link_batch = 256;
  /// Most envelope bytes per outbox batch: a batch is one frame, which must
  /// stay within the peer's cluster.max_frame_bytes.
  uint64_t link_batch_bytes = 16ull << 20;
  uint64_t link_pipeline = 4;
  std::chrono::milliseconds link_ack_timeout{10'000};
  std::chrono::milliseconds link_poll{100};
  std::chrono::milliseconds link_backoff_max{1'000};
};

/// The `mailbox:` section.
const config::section<mailbox_options>& mailbox_section();

} // namespace bsm
