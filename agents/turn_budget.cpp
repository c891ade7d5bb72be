#include "agents/turn_budget.hpp"

#include <algorithm>

#include "runtime/mailbox/message_id.hpp"

namespace bsm::agents {

using self_pointer = agent_actor::stateful_pointer<agent_state>;

void reserve_model_call(self_pointer self, const v1::Principal& caller,
                        const v1::ModelRequest& req,
                        std::function<void(budget_hold)> go,
                        std::function<void(caf::error)> refuse) {
  const auto& env = self->state.env.budgets;
  budget_hold hold;
  hold.model = req.model().name();
  if (!env.opts || env.opts->limits.empty())
    return go(std::move(hold));
  hold.keys = budgets::applicable_budgets(
    *env.opts, {self->state.agent, caller.name(), hold.model});
  if (hold.keys.empty())
    return go(std::move(hold));
  hold.reservation_id = new_message_id();
  // The request's encoded size stands in for its text; the output is the
  // most the call may write.
  auto max_output = req.generation().max_tokens() != 0
                      ? req.generation().max_tokens()
                      : req.model().max_tokens();
  auto estimate = budgets::estimate_call(
    *env.opts, hold.model, budgets::estimate_tokens(req.ByteSizeLong()),
    max_output);
  reserve_budgets(self, env, std::move(hold), estimate, std::move(go),
                  std::move(refuse));
}

void settle_model_call(self_pointer self, const budget_hold& hold,
                       const v1::TokenUsage& usage) {
  const auto& env = self->state.env.budgets;
  if (hold.keys.empty() || !env.opts)
    return;
  settle_budgets(self, env, hold,
                 budgets::reported_usage(*env.opts, hold.model,
                                         usage.prompt_tokens(),
                                         usage.completion_tokens()));
}

} // namespace bsm::agents
