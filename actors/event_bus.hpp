#pragma once

// The node's event bus (node-local for now; a later issue spans the cluster).
// Publishers send `PublishRequest`s; subscribers register topic patterns
// (runtime/events/topic_pattern.hpp) and receive every matching
// `bsm::v1::Event` as a plain message. The HTTP bridge turns a subscription
// into Server-Sent Events; the supervision relay publishes the supervision
// tree's events here.
//
// Contract (see protocols/bsm/v1/events.proto for the messages):
// - Delivery is at most once and, per subscriber, in the order the bus
//   received the publishes (CAF keeps per-sender order). A subscriber gets
//   each event once, however many of its patterns match it.
// - The bus monitors every subscriber and drops its subscriptions when it
//   terminates. Subscriptions live in memory only: after a restart of the bus
//   subscribers must subscribe again (monitor the bus, look it up by name).
// - Any actor that knows a subscription id may end that subscription (the
//   bus is node-internal; ids are handles, not secrets).
// - An invalid event (bad topic, data that is not a JSON object, too large)
//   is dropped and counted in bsm_events_dropped_total{reason}; publishing
//   has no answer.
// - Subscribers must keep up: the bus does not wait for them, so a slow
//   subscriber's mailbox grows.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/expected.hpp>

#include "actors/interfaces.hpp"
#include "runtime/events/topic_interest.hpp"
#include "runtime/events/topic_pattern.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/supervision/child_spec.hpp"

namespace bsm {

/// Path under which the bus is registered (a child "events" of the root), and
/// where publishers such as the supervision relay look it up.
inline constexpr const char* event_bus_path = "events";

struct event_bus_options {
  /// Most subscriptions at once, over all subscribers; one more is refused
  /// with `resource_exhausted`. Default: 10000. Hot-reloadable: no.
  size_t max_subscriptions = 10'000;
  /// Largest `data_json` of an event, in bytes; larger events are dropped.
  /// Default: 65536. Hot-reloadable: no.
  size_t max_data_bytes = 65'536;
};

/// Errors: `invalid_argument` if a limit is 0.
[[nodiscard]] caf::error validate(const event_bus_options& opts);

/// The series of the event bus and of its publishers, registered once per
/// node (each series is a lock-free atomic; copies share them). REQUIRES: the
/// registry outlives every copy.
struct event_metrics {
  /// Events accepted by the bus (valid ones, delivered or not).
  metrics::counter& published;
  /// Event messages sent to subscribers (one per subscriber and event).
  metrics::counter& delivered;
  /// Events dropped because their topic is malformed.
  metrics::counter& dropped_invalid_topic;
  /// Events dropped because their data is not a JSON object.
  metrics::counter& dropped_invalid_data;
  /// Events dropped because their data is over max_data_bytes.
  metrics::counter& dropped_too_large;
  /// Events the supervision relay dropped (oldest first) while its buffer
  /// was full because no bus was registered.
  metrics::counter& dropped_relay_overflow;
  /// Subscriptions held by all buses of the registry.
  metrics::gauge& subscriptions;

  /// Registers (or finds) bsm_events_published_total,
  /// bsm_events_delivered_total, bsm_events_dropped_total{reason} and
  /// bsm_event_subscriptions in `reg`.
  static event_metrics make(metrics::registry& reg);
};

struct event_bus_state {
  static constexpr const char* name = "event_bus";

  /// One subscriber and its patterns, by subscription id.
  struct subscriber {
    caf::strong_actor_ptr handle;
    std::vector<std::pair<uint64_t, events::topic_pattern>> patterns;
  };

  /// What `subscribe` did.
  struct added {
    uint64_t id = 0;
    /// True if this is the subscriber's first subscription (monitor it).
    bool first = false;
  };

  /// What `unsubscribe` did.
  struct removed {
    caf::actor_addr subscriber;
    /// True if that was the subscriber's last subscription (demonitor it).
    bool last = false;
  };

  ~event_bus_state();

  event_bus_options opts;
  /// Set by the behavior before any message; always engaged after that.
  std::optional<event_metrics> metrics;
  /// What the publishers ask before they build an event (may be null):
  /// every pattern subscribed here, removed again as subscriptions end
  /// and when this incarnation ends.
  std::shared_ptr<events::topic_interest> interest;
  std::unordered_map<caf::actor_addr, subscriber> subscribers;
  /// Owner of each subscription id.
  std::unordered_map<uint64_t, caf::actor_addr> owners;
  uint64_t next_id = 1;

  // -- pure state changes, testable without an actor system -------------------

  /// Errors: `invalid_argument` (malformed pattern, no subscriber),
  /// `resource_exhausted` (at max_subscriptions).
  caf::expected<added> subscribe(const caf::strong_actor_ptr& who,
                                 const std::string& pattern);

  /// Errors: `not_found` for an unknown id.
  caf::expected<removed> unsubscribe(uint64_t id);

  /// Drops every subscription of `who` (it terminated).
  void remove_subscriber(const caf::actor_addr& who);

  /// Checks and completes an event (stamps the time, fills empty data with
  /// {}); counts and returns the drop reason's error if it is invalid.
  caf::error prepare(v1::Event& ev);

  /// The subscribers with at least one pattern matching `topic`, each once.
  std::vector<caf::strong_actor_ptr> recipients(const std::string& topic) const;

  size_t subscription_count() const noexcept {
    return owners.size();
  }
};

using event_bus_pointer = caf::stateful_actor<
  event_bus_state,
  typed_actor_base<
    caf::reacts_to<v1::PublishRequest>,
    caf::replies_to<v1::SubscribeRequest>::with<v1::SubscribeResponse>,
    caf::replies_to<v1::UnsubscribeRequest>::with<v1::UnsubscribeResponse>>>*;

/// The behavior of the bus, keeping `interest` (unless null) as its
/// subscriptions change. REQUIRES: validate(opts) succeeded.
event_bus_actor::behavior_type
event_bus(event_bus_pointer self, event_bus_options opts, event_metrics metrics,
          std::shared_ptr<events::topic_interest> interest);

/// Spawns a bus. Errors: those of `validate(opts)`.
[[nodiscard]] caf::expected<event_bus_actor>
spawn_event_bus(caf::actor_system& sys, event_bus_options opts,
                event_metrics metrics,
                std::shared_ptr<events::topic_interest> interest = nullptr);

/// A child spec named `event_bus_path` ("events") that runs the bus, so that
/// its supervisor registers it where publishers look for it.
/// REQUIRES: validate(opts) succeeded.
child_spec event_bus_child(event_bus_options opts, event_metrics metrics,
                           std::shared_ptr<events::topic_interest> interest
                           = nullptr);

} // namespace bsm
