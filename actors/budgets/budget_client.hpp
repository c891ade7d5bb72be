#pragma once

// Reserving a model call on its budgets and settling it, from any actor on
// any node: each budget key is asked at its counter's owner
// (runtime/budgets/budget_owner.hpp): the local `budgets` actor or
// another node's through its cluster port (remote_call). Keys are
// reserved one after another in config order; the first refusal gives
// back what was reserved before it (tokens and cost; the request stays
// counted there) and ends the reservation.
//
// Errors handed to `refused`: resource_exhausted naming the spent budget,
// with the time it refills (retry_after.hpp: 429 with Retry-After over
// HTTP); unavailable when a counter's owner cannot be asked (budgets fail
// closed: 503 with Retry-After).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/make_message.hpp>

#include "actors/budgets/budget_actor.hpp"
#include "actors/remote_call.hpp"
#include "runtime/budgets/budget_rules.hpp"

namespace bsm {

struct budget_client_env {
  remote_call_env calls;
  /// The `budgets:` options; null or without limits: no budgets.
  std::shared_ptr<const budgets::budgets_options> opts;
  /// REQUIRES: outlives the caller, if set.
  const budget_metrics* metrics = nullptr;
};

/// What one call holds on its budgets, to settle after the call.
struct budget_hold {
  std::vector<budgets::budget_key> keys;
  std::string reservation_id;
  std::string model;
};

/// Where the counter of `key` is asked. Errors: unavailable (joining, the
/// owner not connected), not_found (no budgets actor here).
caf::expected<call_route> budget_route(const remote_call_env& env,
                                       const budgets::budget_key& key);

/// The refusal of a spent budget as an error (see the file comment).
caf::error budget_spent_error(const budgets::budgets_options& opts,
                              const budgets::budget_key& key,
                              const v1::BudgetAcquireResponse& resp);

/// An owner that could not be asked, as an error.
caf::error budget_unreachable_error(const budgets::budget_key& key,
                                    const caf::error& cause);

namespace detail {

// Asks the budgets actor `route` names with `req`; exactly one handler
// runs. Typed on the one answer it expects: any_bsm_v1_reply (which
// ask_routed uses) would make every includer a very large translation
// unit.
template <class Response, class Self, class Request>
void ask_budgets(Self* self, const remote_call_env& env,
                 const call_route& route, Request req,
                 std::chrono::milliseconds timeout,
                 std::function<void(Response&)> on_reply,
                 error_handler on_error) {
  if (route.local) {
    self
      ->request(caf::actor_cast<budget_actor>(route.local), timeout,
                std::move(req))
      .then([on_reply](Response& resp) { on_reply(resp); },
            [on_error](caf::error& err) { on_error(std::move(err)); });
    return;
  }
  auto ask = make_remote_ask(env, budgets_path,
                             caf::make_message(std::move(req)), timeout);
  if (!ask)
    return on_error(ask.error());
  self
    ->request(caf::actor_cast<cluster_ingress_actor>(route.remote), timeout,
              std::move(*ask))
    .then(
      [env, on_reply, on_error](v1::RemoteAskResponse& resp) {
        auto msg = decode_remote_reply(env, resp);
        if (!msg)
          return on_error(msg.error());
        if (!msg->template match_elements<Response>())
          return on_error(make_error(
            errc::internal, "the budget counter answered with another type"));
        on_reply(msg->template get_mutable_as<Response>(0));
      },
      remote_failure(route.node, on_error));
}

struct budget_reservation {
  budget_client_env env;
  budget_hold hold;
  budgets::budget_amount estimate;
  std::chrono::milliseconds timeout;
  std::function<void(budget_hold)> granted;
  std::function<void(caf::error)> refused;
};

v1::BudgetAcquireRequest acquire_request(const budget_reservation& r,
                                         size_t index);

} // namespace detail

/// Settles `hold` with `actual` (the provider's reported usage; zero for a
/// call that failed) on every key, without waiting for the answers; a
/// failure is logged nowhere but counted by the owner as not held.
template <class Self>
void settle_budgets(Self* self, const budget_client_env& env,
                    const budget_hold& hold, budgets::budget_amount actual) {
  auto timeout = env.opts ? env.opts->owner_timeout : std::chrono::seconds{2};
  for (const auto& key : hold.keys) {
    auto route = budget_route(env.calls, key);
    if (!route)
      continue; // the owner went away: its counter went with it
    v1::BudgetSettleRequest req;
    req.set_budget(key.budget);
    req.set_key(key.key);
    req.set_reservation_id(hold.reservation_id);
    req.set_tokens(actual.tokens);
    req.set_cost_micros(actual.cost_micros);
    detail::ask_budgets<v1::BudgetSettleResponse>(
      self, env.calls, *route, std::move(req), timeout,
      [](v1::BudgetSettleResponse&) {}, [](caf::error) {});
  }
}

namespace detail {

template <class Self>
void reserve_next(Self* self, std::shared_ptr<budget_reservation> r,
                  size_t index) {
  if (index == r->hold.keys.size())
    return r->granted(std::move(r->hold));
  auto give_back = [self, r, index](caf::error err) {
    auto done = r->hold;
    done.keys.resize(index);
    settle_budgets(self, r->env, done, budgets::budget_amount{});
    r->refused(std::move(err));
  };
  const auto& key = r->hold.keys[index];
  auto unreachable = [r, key, give_back](const caf::error& cause) {
    if (r->env.metrics)
      r->env.metrics->unreachable->with({key.budget}).inc();
    give_back(budget_unreachable_error(key, cause));
  };
  auto route = budget_route(r->env.calls, key);
  if (!route)
    return unreachable(route.error());
  ask_budgets<v1::BudgetAcquireResponse>(
    self, r->env.calls, *route, acquire_request(*r, index), r->timeout,
    [self, r, index, key, give_back](v1::BudgetAcquireResponse& resp) {
      if (!resp.granted())
        return give_back(budget_spent_error(*r->env.opts, key, resp));
      reserve_next(self, r, index + 1);
    },
    [unreachable](caf::error err) { unreachable(err); });
}

} // namespace detail

/// Reserves `estimate` on every budget in `hold.keys`, then calls
/// `granted(hold)`, or `refused(error)` (see the file comment); exactly
/// one of them runs, in `self`'s context. No keys: `granted` at once.
template <class Self>
void reserve_budgets(Self* self, const budget_client_env& env, budget_hold hold,
                     budgets::budget_amount estimate,
                     std::function<void(budget_hold)> granted,
                     std::function<void(caf::error)> refused) {
  if (hold.keys.empty() || !env.opts)
    return granted(std::move(hold));
  auto timeout = env.opts->owner_timeout;
  auto r = std::make_shared<detail::budget_reservation>(
    detail::budget_reservation{env, std::move(hold), estimate, timeout,
                               std::move(granted), std::move(refused)});
  detail::reserve_next(self, std::move(r), 0);
}

} // namespace bsm
