#pragma once

// A turn's model calls against the model budgets (actors/budgets/
// budget_client.hpp): before each call its estimate is reserved on every
// budget that applies to the agent, the turn's caller and the model; a
// spent budget ends the turn with resource_exhausted (429 with
// Retry-After and the budget's name); after the call the provider's
// reported usage is settled (nothing for a call that failed).

#include <functional>

#include "actors/budgets/budget_client.hpp"
#include "agents/agent_actor.hpp"

namespace bsm::agents {

/// Reserves `req`'s estimate, then runs `go(hold)` (at once when no budget
/// applies) or `refuse(error)`, in the agent's context.
void reserve_model_call(agent_actor::stateful_pointer<agent_state> self,
                        const v1::Principal& caller,
                        const v1::ModelRequest& req,
                        std::function<void(budget_hold)> go,
                        std::function<void(caf::error)> refuse);

/// Settles `hold` with the usage the provider reported.
void settle_model_call(agent_actor::stateful_pointer<agent_state> self,
                       const budget_hold& hold, const v1::TokenUsage& usage);

} // namespace bsm::agents
