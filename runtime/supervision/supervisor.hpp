#pragma once

// A supervisor with Erlang/OTP semantics on CAF monitors (CAF 0.17 has none
// built in). It starts its children in order, restarts them by strategy and
// restart type with capped exponential backoff, escalates (stops everything
// and fails) when restarts exceed the intensity, and on an exit request
// stops its children in reverse start order, killing any child that does
// not stop within its shutdown timeout.
//
// Messages it understands:
//   bsm::v1::TreeRequest -> bsm::v1::TreeResponse (its subtree, recursively)
//   exit_msg from anyone  -> ordered shutdown, then quit with that reason
//   (atom::add_child, child_spec) -> starts one more child, last in start
//     order; already_exists if a live child has that name
//   (atom::remove_child, name)    -> stops that child (killed after its
//     shutdown timeout) and never restarts it; not_found if unknown
// It terminates with `errc::aborted` after escalating and with the start
// error if an initial child fails to start.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>

#include "runtime/metrics/instrumented.hpp"
#include "runtime/supervision/child_spec.hpp"
#include "runtime/supervision/restart_policy.hpp"

namespace bsm {

struct supervisor_state;

using supervisor_actor = stateful_actor<supervisor_state>*;

/// One child as the supervisor tracks it.
struct supervised_child {
  child_spec spec;
  std::string path;
  caf::actor handle;
  v1::ChildState state = v1::CHILD_STATE_STOPPED;
  /// Restarts since the supervisor started.
  uint32_t restarts = 0;
  /// Restarts within the supervisor's period (drives the backoff).
  restart_window recent;
  /// Bumped at every start and stop request; stale timers compare it.
  uint64_t generation = 0;
  /// True while the supervisor itself asked the child to stop.
  bool stop_requested = false;
  /// True while the child belongs to a scheduled group restart.
  bool restart_pending = false;
  /// True once removed: the slot stays (indices are kept in timers and
  /// restart groups) but is never started or shown again.
  bool removed = false;
};

/// Stops children one at a time, newest first, then runs a continuation.
struct stop_sequence {
  std::deque<size_t> pending;
  std::optional<size_t> current;
  std::function<void()> then;
};

struct supervisor_state {
  static constexpr const char* name = "supervisor";

  supervisor_actor self = nullptr;
  supervisor_options opts;
  supervision_env env;
  std::vector<supervised_child> children;
  restart_window intensity{std::chrono::milliseconds{1}};
  std::optional<stop_sequence> stopping;
  /// Failures seen while a stop sequence ran, handled after it.
  std::deque<std::pair<size_t, caf::error>> deferred;
  /// Children waiting for their backoff, by timer token.
  std::map<uint64_t, std::vector<size_t>> pending_restarts;
  uint64_t next_token = 0;
  bool shutting_down = false;
  /// Shared with the exit hook that kills the children if the supervisor
  /// itself dies without stopping them (killed, or a bug).
  std::shared_ptr<std::vector<caf::actor_addr>> live;

  // -- life cycle ------------------------------------------------------------

  /// Starts all children in order. Returns the first start error.
  caf::error start_all();
  void on_child_down(const caf::down_msg& msg);
  void on_exit_request(const caf::exit_msg& msg);

  // -- restarts --------------------------------------------------------------

  void handle_failure(size_t index, const caf::error& reason);
  void escalate(const caf::error& reason);
  void restart_group(uint64_t token);
  caf::error start_child(size_t index);
  void cancel_pending_restarts();

  // -- dynamic children ------------------------------------------------------

  caf::error add_child(child_spec spec);
  caf::error remove_child(const std::string& child_name);
  std::optional<size_t> find_live(const std::string& child_name) const;

  /// The children a failure of `index` restarts, in start order.
  std::vector<size_t> restart_group_of(size_t index) const;

  // -- ordered stop ----------------------------------------------------------

  void stop_children(std::vector<size_t> newest_first,
                     std::function<void()> then);
  void stop_next();
  void on_stop_timeout(size_t index, uint64_t generation);
  std::vector<size_t> running_newest_first() const;

  // -- observation -----------------------------------------------------------

  void emit(v1::SupervisionEvent::Kind kind, const supervised_child& child,
            const caf::error& reason = caf::error{}, uint64_t backoff_ms = 0);
  v1::TreeNode tree_node() const;
  void answer_tree(caf::response_promise rp);
  void refresh_live();
  std::optional<size_t> find(const caf::actor_addr& addr) const;
};

/// The behavior of a supervisor. REQUIRES: validate(opts) succeeded.
caf::behavior supervisor(supervisor_actor self, supervisor_options opts,
                         supervision_env env);

/// Spawns a supervisor. Errors: those of `validate(opts)`.
[[nodiscard]] caf::expected<caf::actor>
spawn_supervisor(caf::actor_system& sys, supervisor_options opts,
                 supervision_env env);

/// A child spec that runs a nested supervisor sharing `env`; its path is
/// set from the parent's at each start.
child_spec supervisor_child(std::string name, supervisor_options opts,
                            supervision_env env,
                            restart_type restart = restart_type::permanent);

} // namespace bsm
