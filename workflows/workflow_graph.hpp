#pragma once

// The DAG of a workflow definition and the decisions the engine takes on
// it: in which order steps can run, what is upstream of a step, which
// steps may start now. Plain functions of the definition and the steps'
// states; no clock, no actors.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "workflows/workflow_definition.hpp"

namespace bsm::workflows {

/// Where a step of a run is.
enum class step_state {
  pending,
  running,
  succeeded,
  failed,
  skipped,
  cancelled
};

/// "pending", "running", ...
[[nodiscard]] const char* to_string(step_state x);

/// The states of a run's steps by id; a step not in the map is pending.
using step_states = std::map<std::string, step_state, std::less<>>;

/// Where a whole run is, judged from its steps' states.
enum class run_outcome { running, succeeded, failed, cancelled };

/// A cycle of `needs`, each step needing the next, the first repeated at
/// the end ({"a", "b", "a"}); empty if there is none. Needs of unknown
/// steps are ignored; with several cycles, the one found first from the
/// steps in definition order.
[[nodiscard]] std::vector<std::string>
find_cycle(const workflow_definition& def);

/// Every step's transitive `needs`, by id. Tolerates unknown needs and
/// cycles (for the validation, which reports them).
[[nodiscard]] std::map<std::string, std::set<std::string>>
upstream_sets(const workflow_definition& def);

/// The steps named by another step's `compensation`: they run only when
/// that step fails.
[[nodiscard]] std::set<std::string>
compensation_steps(const workflow_definition& def);

/// The DAG of a definition without duplicate ids, unknown needs or cycles.
class workflow_graph {
public:
  /// Errors: invalid_argument for a duplicate id, an unknown `needs` or
  /// `compensation`, a cycle ("cycle: a -> b -> a").
  [[nodiscard]] static caf::expected<workflow_graph>
  make(const workflow_definition& def);

  /// Every step id, each after the steps it needs; steps that do not
  /// depend on each other keep their order in the definition.
  [[nodiscard]] const std::vector<std::string>& order() const noexcept {
    return order_;
  }

  /// Whether `id` is a step.
  [[nodiscard]] bool contains(const std::string& id) const;

  /// The steps `id` needs, directly or through others. REQUIRES:
  /// contains(id).
  [[nodiscard]] const std::set<std::string>&
  upstream(const std::string& id) const;

  /// Whether `id` only runs as another step's compensation.
  [[nodiscard]] bool is_compensation(const std::string& id) const;

  /// Whether `id` in state `state` lets the steps that need it start:
  /// succeeded, skipped (its `when` was false), or failed with
  /// `on_failure: continue`. REQUIRES: contains(id).
  [[nodiscard]] bool counts_as_done(const std::string& id,
                                    step_state state) const;

  /// The pending steps that may start now, in `order()`: each of their
  /// needs counts as done. Once the run is halted (a step failed without
  /// `on_failure: continue`, or one was cancelled) no further step starts
  /// but the compensations of failed steps; a compensation step starts
  /// only then.
  [[nodiscard]] std::vector<std::string> ready(const step_states& states) const;

  /// running while a step runs or may start; then cancelled if a step was
  /// cancelled, failed if a step failed without `on_failure: continue`,
  /// else succeeded.
  [[nodiscard]] run_outcome outcome(const step_states& states) const;

private:
  struct vertex {
    std::vector<std::string> needs;
    failure_policy on_failure = failure_policy::fail;
    std::string compensation;
    bool is_compensation = false;
    std::set<std::string> upstream;
  };

  static step_state state_of(const step_states& states, const std::string& id);
  bool halted(const step_states& states) const;
  bool triggered(const std::string& compensation,
                 const step_states& states) const;

  std::vector<std::string> order_;
  std::map<std::string, vertex, std::less<>> vertices_;
};

} // namespace bsm::workflows
