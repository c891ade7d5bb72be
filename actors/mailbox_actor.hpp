#pragma once

// One target's durable mailbox. A send is appended through the store writer
// (group commit) and answered once durable; then envelopes are delivered to
// the target one at a time, in sequence order, as a request, and
// acknowledged (deleted) when the handler has answered, also later through
// a response promise. A failed delivery (error reply, crash of the target,
// timeout) is repeated after a backoff until `max_deliveries`, then the
// envelope moves to dead letters and the next one follows.
//
// Memory stays bounded: at most `window` envelopes are held in memory; the
// rest wait on disk and are paged in by the mailbox reader, which is also
// how a mailbox recovers after a restart. After a restart the envelope at
// the head may have been in delivery when the node stopped, so its delivery
// count goes up (on disk) before it is delivered again: a message that
// crashes the whole process also reaches dead letters.
//
// An outbox is the same mailbox under the target "@link/<peer>" (no
// registered path starts with '@'): it holds durable sends to names that
// another node owns, and delivers them to that node's cluster port in
// batches (LinkBatch, link_seq = the outbox's seq) while the peer is up and
// connected; the peer's LinkAck acknowledges a prefix. Unacknowledged
// entries are sent again, for as long as it takes (the peer dedups them by
// idempotency key), so they are delivered once and in order.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/typed_response_promise.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/mailbox/mailbox_depths.hpp"
#include "runtime/mailbox/mailbox_metrics.hpp"
#include "runtime/mailbox/mailbox_options.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"

namespace bsm {

/// What the router and its mailboxes share. Every pointer must outlive
/// the actors.
struct mailbox_env {
  store* db = nullptr;
  store_writer* writer = nullptr;
  const type_registry* types = nullptr;
  std::shared_ptr<name_registry> names;
  mailbox_options opts;
  std::shared_ptr<spdlog::logger> log;
  mailbox_metrics* metrics = nullptr;
  /// Each mailbox's depth, for GET /v1/actors; may be null.
  std::shared_ptr<mailbox_depths> depths;
  /// Envelopes a mailbox keeps in memory; the rest wait on disk.
  size_t window = 1024;
  /// The cluster's view; null on a node without a cluster (all is local).
  std::shared_ptr<const cluster::directory> directory;
  /// Outboxes: most envelopes per batch, batches sent before the first
  /// ack (the link's pipeline), the wait for an ack, and how often a
  /// waiting outbox looks for its peer.
  size_t link_batch = 256;
  size_t link_pipeline = 4;
  std::chrono::milliseconds link_ack_timeout{10000};
  std::chrono::milliseconds link_poll{100};
};

/// The outbox target for `peer`, and the peer of an outbox target.
std::string outbox_target(const std::string& peer);
std::optional<std::string> outbox_peer(const std::string& target);

struct mailbox_state {
  static constexpr const char* name = "mailbox";

  struct entry {
    uint64_t seq = 0;
    v1::Envelope envelope;
  };

  /// A send whose append is on its way to the disk.
  struct append {
    caf::typed_response_promise<v1::SendResponse> promise;
    v1::Envelope envelope;
    /// Sends with the same idempotency key that came in meanwhile.
    std::vector<caf::typed_response_promise<v1::SendResponse>> duplicates;
  };

  mailbox_env env;
  std::string target;
  mailbox_reader_actor reader;
  caf::actor_addr router;

  bool ready = false;
  uint64_t next_seq = 0;
  /// Every append below this sequence number has completed.
  uint64_t committed_end = 0;
  /// Unacknowledged envelopes, appends on their way included.
  uint64_t depth = 0;
  /// Where `depth` is published for readers on other threads.
  mailbox_depths::slot depth_slot;
  std::map<uint64_t, append> appending;
  /// Idempotency key -> sequence number of the append carrying it.
  std::unordered_map<std::string, uint64_t> appending_keys;
  /// Committed envelopes in memory, in order, all below `disk_from`.
  std::deque<entry> queue;
  /// Committed envelopes from here on wait on disk only.
  std::optional<uint64_t> disk_from;
  bool reading = false;
  std::optional<entry> in_flight;
  /// Outboxes only: the peer, and the batches waiting for their ack by
  /// delivery token.
  std::optional<std::string> peer;
  std::map<uint64_t, std::vector<entry>> batches_in_flight;
  /// Tells a delivery's answer from the answer to an older one.
  uint64_t delivery_token = 0;
  /// The head may have been in delivery when the node stopped.
  bool head_suspect = false;
  /// A timer or a write is pending before the next delivery.
  bool waiting = false;
  caf::actor_addr monitored;
  std::chrono::milliseconds backoff{0};

  void publish_depth() {
    if (depth_slot)
      depth_slot->store(depth, std::memory_order_relaxed);
  }
};

using mailbox_pointer = caf::stateful_actor<
  mailbox_state,
  typed_actor_base<
    caf::replies_to<v1::SendRequest>::with<v1::SendResponse>,
    caf::reacts_to<atom::committed, uint64_t, caf::error, v1::SendResponse>,
    caf::reacts_to<atom::deliver>>>*;

/// Spawned by the mailbox router. Stops when `router` stops.
mailbox_actor::behavior_type
durable_mailbox(mailbox_pointer self, mailbox_env env, std::string target,
                mailbox_reader_actor reader, caf::actor_addr router);

} // namespace bsm
