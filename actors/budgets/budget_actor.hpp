#pragma once

// The budget counters this node owns (runtime/budgets/budget_book.hpp),
// as the actor `budgets` on every node: agents (and later tasks) on any
// node ask the owner of a budget key (budget_owner.hpp, through
// budget_call.hpp) to reserve a call's estimate and to settle it. A thin
// adapter: the book decides; the actor gives it the clock, publishes the
// events budget.<name>.warning (80% of a window) and budget.<name>.spent
// (100%, or a call refused) and counts metrics. Never blocks.

#include <memory>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "protocols/caf_types.hpp"
#include "runtime/budgets/budget_book.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/supervision/child_spec.hpp"

namespace bsm {

/// Where the budget actor is registered on every node.
inline constexpr const char* budgets_path = "budgets";

// Declared here rather than in interfaces.hpp, so that adding it did not
// rebuild every actor; move it there with the next change of that file.
using budget_actor = caf::typed_actor<
  /// Reserves a call's estimate on one budget key this node owns.
  caf::replies_to<v1::BudgetAcquireRequest>::with<v1::BudgetAcquireResponse>,
  /// Replaces a reservation's estimate with the reported usage.
  caf::replies_to<v1::BudgetSettleRequest>::with<v1::BudgetSettleResponse>,
  /// Every limit of every counter this node keeps.
  caf::replies_to<v1::BudgetListRequest>::with<v1::BudgetListResponse>>;

/// The budgets' metric families. Label `budget` is a configured budget's
/// name (a handful).
struct budget_metrics {
  /// bsm_budget_decisions_total{budget,outcome}: granted | refused.
  metrics::family<metrics::counter>* decisions = nullptr;
  /// bsm_budget_settles_total{budget,outcome}: settled | not_held.
  metrics::family<metrics::counter>* settles = nullptr;
  /// bsm_budget_events_total{budget,level}: warning | spent.
  metrics::family<metrics::counter>* events = nullptr;
  /// bsm_budget_counters: the counters this node keeps.
  metrics::gauge* counters = nullptr;
  /// bsm_budget_keys_evicted_total: counters forgotten at max_keys.
  metrics::counter* evictions = nullptr;
  /// bsm_budget_unreachable_total{budget}: model calls refused because
  /// their counter's owner could not be asked (budgets fail closed).
  metrics::family<metrics::counter>* unreachable = nullptr;

  static budget_metrics make(metrics::registry& reg);
};

struct budget_env {
  budgets::budgets_options opts;
  /// Finds the event bus.
  std::shared_ptr<name_registry> names;
  /// REQUIRES: outlives the actor, if set.
  const budget_metrics* metrics = nullptr;
  std::shared_ptr<spdlog::logger> log;
};

struct budget_state {
  static constexpr const char* name = "budgets";
  std::unique_ptr<budgets::budget_book> book;
  budget_env env;
  uint64_t evictions_seen = 0;
};

budget_actor::behavior_type
budget_counters(budget_actor::stateful_pointer<budget_state> self,
                budget_env env);

/// The root's child `budgets`.
child_spec budgets_child(budget_env env,
                         std::chrono::milliseconds shutdown_timeout);

} // namespace bsm
