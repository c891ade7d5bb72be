#pragma once

// The metric families of agents, registered once per node. Label `agent`
// is a defined agent's name (a handful per node, low cardinality).

#include "runtime/metrics/registry.hpp"

namespace bsm::agents {

struct agent_metrics {
  /// bsm_agent_turns_total{agent,outcome}: outcome ok | error.
  metrics::family<metrics::counter>* turns = nullptr;
  /// bsm_agent_steps_total{agent}: model calls.
  metrics::family<metrics::counter>* steps = nullptr;
  /// bsm_agent_tool_calls_total{agent,outcome}: ok | error | replayed.
  metrics::family<metrics::counter>* tool_calls = nullptr;
  /// bsm_agent_capability_denied_total{agent,kind}: calls refused because
  /// the agent may not make them (kind tool | delegation) or its caller
  /// may not (permission).
  metrics::family<metrics::counter>* capability_denied = nullptr;
  /// bsm_agent_tokens_total{agent,kind}: prompt | completion.
  metrics::family<metrics::counter>* tokens = nullptr;
  /// bsm_agent_turn_duration_seconds{agent}.
  metrics::family<metrics::histogram>* duration = nullptr;
  /// bsm_agent_turn_overhead_seconds{agent}: a turn's time minus the time
  /// its model provider spent, i.e. what the runtime adds.
  metrics::family<metrics::histogram>* overhead = nullptr;

  static agent_metrics make(metrics::registry& reg);
};

} // namespace bsm::agents
