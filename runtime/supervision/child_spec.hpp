#pragma once

// What a supervisor knows about its children (Erlang/OTP child specs) and
// how it treats them. See supervisor.hpp for the actor itself.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <spdlog/logger.h>

#include "protocols/caf_types.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

/// When a terminated child is restarted.
enum class restart_type {
  /// Always.
  permanent,
  /// Only after an abnormal exit (not normal, not a requested shutdown).
  transient,
  /// Never.
  temporary,
};

/// Which children restart when one fails.
enum class restart_strategy {
  /// Only the failed child.
  one_for_one,
  /// All children: the others are stopped (reverse start order) first.
  one_for_all,
  /// The failed child and every child started after it.
  rest_for_one,
};

const char* to_string(restart_type x);
const char* to_string(restart_strategy x);

/// Starts one incarnation of a child. Runs on the supervisor's thread, so it
/// must not block: spawn and return. `path` is the child's registered path.
/// An error counts as a failed start (like a crash at once).
using child_factory = std::function<caf::expected<caf::actor>(
  caf::actor_system& sys, const std::string& path)>;

struct child_spec {
  /// Unique among siblings; one path segment of [a-z0-9_.-].
  std::string name;
  child_factory start;
  /// The message types the child handles, as protobuf full names: declare
  /// them with `handled_types<Interface>()` (runtime/messages/
  /// handled_types.hpp) from the interface `start` spawns. Registered with
  /// its name; empty declares none. Default: none.
  std::vector<std::string> handles;
  /// Default: permanent.
  restart_type restart = restart_type::permanent;
  /// Time to stop after an exit request before the child is killed.
  /// Default: 5s.
  std::chrono::milliseconds shutdown_timeout{5'000};
  /// True if the child is itself a supervisor (its subtree shows in
  /// `TreeRequest` answers). Default: false.
  bool is_supervisor = false;
};

/// Services a supervisor tree shares; every member is optional.
struct supervision_env {
  /// Children are registered here under their path while they run.
  std::shared_ptr<name_registry> names;
  /// Receives a `bsm::v1::SupervisionEvent` for every change.
  caf::actor observer;
  /// Receives one log line per event.
  std::shared_ptr<spdlog::logger> log;
  /// bsm_supervisor_restarts_total{supervisor,child}.
  metrics::family<metrics::counter>* restarts = nullptr;
};

struct supervisor_options {
  /// The supervisor's registered path; children get "<path>/<name>".
  /// The empty path is the root: its children are registered as "<name>".
  std::string path;
  /// Default: one_for_one.
  restart_strategy strategy = restart_strategy::one_for_one;
  /// At most this many restarts within `period`, else stop everything and
  /// fail (escalate to the parent). Default: 5 in 10s.
  uint32_t max_restarts = 5;
  std::chrono::milliseconds period{10'000};
  /// Delay before a restart: backoff_initial * 2^(restarts of that child
  /// within `period`), at most backoff_max. Default: 100ms, 10s.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10'000};
  /// Time a child supervisor gets to describe its subtree (TreeRequest)
  /// before the tree shows it without children. Default: 5s.
  std::chrono::milliseconds tree_timeout{5'000};
  /// Started in this order, stopped in reverse.
  std::vector<child_spec> children;
};

/// Errors: `invalid_argument` for a bad path or child name, duplicate or
/// factory-less children, a zero period or backoff_initial > backoff_max.
[[nodiscard]] caf::error validate(const supervisor_options& opts);

/// The path of child `name` under a supervisor at `parent`.
std::string child_path(const std::string& parent, const std::string& name);

} // namespace bsm

// Sent with atom::add_child to a supervisor; it never leaves the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(bsm::child_spec)
