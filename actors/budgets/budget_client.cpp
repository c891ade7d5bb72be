#include "actors/budgets/budget_client.hpp"

#include "runtime/budgets/budget_owner.hpp"
#include "runtime/retry_after.hpp"

namespace bsm {

caf::expected<call_route> budget_route(const remote_call_env& env,
                                       const budgets::budget_key& key) {
  call_route result;
  bool local = true;
  if (env.directory) {
    auto owner = budgets::budget_owner(*env.directory, key.budget, key.key);
    if (!owner)
      return owner.error();
    local = owner->local;
    result.node = owner->node;
  }
  if (local) {
    auto here = env.names->get(budgets_path);
    if (!here)
      return make_error(errc::unavailable,
                        "the budgets actor of this node is not running");
    result.local = *here;
    return result;
  }
  result.remote = env.directory->connection(result.node);
  if (!result.remote)
    return make_error(errc::unavailable, "node " + result.node
                                           + ", which keeps budget '"
                                           + key.budget + "' of '" + key.key
                                           + "', is not connected");
  return result;
}

caf::error budget_spent_error(const budgets::budgets_options& opts,
                              const budgets::budget_key& key,
                              const v1::BudgetAcquireResponse& resp) {
  std::string scope = "budget";
  for (const auto& spec : opts.limits)
    if (spec.name == key.budget)
      scope = budgets::to_string(spec.scope);
  std::chrono::milliseconds wait{resp.retry_after_ms()};
  return make_retry_error(errc::resource_exhausted,
                          "budget '" + key.budget + "' (" + scope + " '"
                            + key.key + "') is spent; it has room again in "
                            + std::to_string(retry_after_seconds(wait)) + " s",
                          wait);
}

caf::error budget_unreachable_error(const budgets::budget_key& key,
                                    const caf::error& cause) {
  return make_error(errc::unavailable,
                    "budget '" + key.budget + "' of '" + key.key
                      + "' cannot be checked: " + render(cause));
}

namespace detail {

v1::BudgetAcquireRequest acquire_request(const budget_reservation& r,
                                         size_t index) {
  const auto& key = r.hold.keys[index];
  v1::BudgetAcquireRequest req;
  req.set_budget(key.budget);
  req.set_key(key.key);
  req.set_requests(r.estimate.requests);
  req.set_tokens(r.estimate.tokens);
  req.set_cost_micros(r.estimate.cost_micros);
  req.set_reservation_id(r.hold.reservation_id);
  return req;
}

} // namespace detail

} // namespace bsm
