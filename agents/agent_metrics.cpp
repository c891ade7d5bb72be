#include "agents/agent_metrics.hpp"

namespace bsm::agents {

agent_metrics agent_metrics::make(metrics::registry& reg) {
  agent_metrics result;
  result.turns = &reg.counter_family("bsm_agent_turns_total",
                                     "Chat turns, by agent and outcome.",
                                     {"agent", "outcome"});
  result.steps = &reg.counter_family(
    "bsm_agent_steps_total", "Model calls of chat turns, by agent.", {"agent"});
  result.tool_calls = &reg.counter_family(
    "bsm_agent_tool_calls_total",
    "Tool calls, by agent and outcome (ok, error, replayed).",
    {"agent", "outcome"});
  result.capability_denied = &reg.counter_family(
    "bsm_agent_capability_denied_total",
    "Tool calls and delegations refused by the agent's capabilities or its "
    "caller's permissions, by agent and kind (tool, delegation, permission).",
    {"agent", "kind"});
  result.tokens
    = &reg.counter_family("bsm_agent_tokens_total",
                          "Tokens used, by agent and kind.", {"agent", "kind"});
  result.duration = &reg.histogram_family(
    "bsm_agent_turn_duration_seconds", "Time of a chat turn.", {"agent"},
    {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60});
  result.overhead = &reg.histogram_family(
    "bsm_agent_turn_overhead_seconds",
    "Time of a chat turn not spent in the model provider.", {"agent"},
    {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 1});
  return result;
}

} // namespace bsm::agents
