#pragma once

// Turns the supervision tree's events into bus events. Supervisors send a
// `bsm::v1::SupervisionEvent` to their `supervision_env::observer` for every
// change of a child's life; the relay is that observer and publishes each as
// an `Event` with
//   topic  "supervision.<kind>"  (child_started, child_crashed,
//                                 child_restarted, child_stopped, escalated,
//                                 child_killed)
//   source the supervisor's path ("root" for the root)
//   time   the event's time
//   data   {"supervisor","child","reason","backoff_ms","restarts"}
//
// The bus is itself a supervised child that may restart, so the relay looks
// it up by name (`event_bus_path` in the shared name registry) for every
// event instead of holding a handle. While no bus is registered it buffers
// up to `max_buffered` events, dropping the oldest (counted as
// bsm_events_dropped_total{reason="relay_overflow"}), and publishes them in
// order once the bus is back: at the next event, or at a timer that runs
// every `retry_interval` while the buffer is not empty. Events sent to a bus
// that dies before it reads them are lost (at most once, like the bus).
//
// The relay is not supervised by the tree it observes: spawn it before the
// root supervisor, pass it as the root's observer, and stop it after the
// root has stopped.

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/expected.hpp>

#include "actors/event_bus.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

struct supervision_relay_options {
  /// Where the bus is registered. Default: "events". Hot-reloadable: no.
  std::string bus_path = event_bus_path;
  /// Most events kept while no bus is registered; the oldest go first.
  /// Default: 1024. Hot-reloadable: no.
  size_t max_buffered = 1024;
  /// How often to look for the bus again while events wait for it.
  /// Default: 200ms. Hot-reloadable: no.
  std::chrono::milliseconds retry_interval{200};
};

/// Errors: `invalid_argument` for a malformed bus path, a zero buffer or a
/// non-positive retry interval.
[[nodiscard]] caf::error validate(const supervision_relay_options& opts);

/// The bus event for a supervision event (a pure function).
v1::Event to_bus_event(const v1::SupervisionEvent& ev);

struct supervision_relay_state {
  static constexpr const char* name = "supervision_relay";

  supervision_relay_options opts;
  std::shared_ptr<name_registry> names;
  /// Set by the behavior before any message; always engaged after that.
  std::optional<event_metrics> metrics;
  /// Events waiting for a bus, oldest first.
  std::deque<v1::Event> buffer;
  /// True while a retry timer is on its way.
  bool timer_armed = false;

  /// Appends `ev`, dropping (and counting) the oldest beyond max_buffered.
  void enqueue(v1::Event ev);

  /// The registered bus, if any.
  std::optional<caf::actor> bus() const;
};

using supervision_relay_pointer = stateful_actor<supervision_relay_state>*;

/// The behavior of the relay. Messages: `bsm::v1::SupervisionEvent` (from
/// supervisors) and its own `atom::flush_events` timer.
/// REQUIRES: validate(opts) succeeded; `names` is not null.
caf::behavior supervision_relay(supervision_relay_pointer self,
                                std::shared_ptr<name_registry> names,
                                supervision_relay_options opts,
                                event_metrics metrics);

/// Spawns a relay, to be passed as `supervision_env::observer`.
/// Errors: those of `validate(opts)`; `invalid_argument` for null `names`.
[[nodiscard]] caf::expected<caf::actor>
spawn_supervision_relay(caf::actor_system& sys,
                        std::shared_ptr<name_registry> names,
                        supervision_relay_options opts, event_metrics metrics);

} // namespace bsm
