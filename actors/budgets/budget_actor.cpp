#include "actors/budgets/budget_actor.hpp"

#include <nlohmann/json.hpp>

#include "actors/event_bus.hpp"
#include "actors/interfaces.hpp"
#include "runtime/clock.hpp"
#include "runtime/messages/handled_types.hpp"

namespace bsm {

namespace {

using budget_pointer = budget_actor::stateful_pointer<budget_state>;

const char* level_name(budgets::budget_level x) {
  return x == budgets::budget_level::spent ? "spent" : "warning";
}

void publish(budget_pointer self, const budgets::book_event& e) {
  const auto& st = self->state;
  const char* level = level_name(e.event.level);
  if (st.env.metrics)
    st.env.metrics->events->with({e.budget, level}).inc();
  if (st.env.log)
    st.env.log->info("budget {} of {}: {} reached {} of {} ({})", e.budget,
                     e.key, to_string(e.event.kind),
                     budgets::in_units(e.event.kind, e.event.used),
                     budgets::in_units(e.event.kind, e.event.limit), level);
  if (!st.env.names)
    return;
  auto bus = st.env.names->get(event_bus_path);
  if (!bus)
    return;
  v1::PublishRequest req;
  auto* ev = req.mutable_event();
  ev->set_topic("budget." + e.budget + "." + level);
  ev->set_time_unix_ms(unix_now_ms());
  ev->set_source(budgets_path);
  ev->set_data_json(
    nlohmann::json{{"budget", e.budget},
                   {"key", e.key},
                   {"limit_kind", to_string(e.event.kind)},
                   {"used", budgets::in_units(e.event.kind, e.event.used)},
                   {"limit", budgets::in_units(e.event.kind, e.event.limit)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  self->send(caf::actor_cast<event_bus_actor>(*bus), std::move(req));
}

// Publishes what the book reached and refreshes the gauges.
void after_change(budget_pointer self) {
  auto& st = self->state;
  for (const auto& e : st.book->take_events())
    publish(self, e);
  if (!st.env.metrics)
    return;
  st.env.metrics->counters->set(static_cast<double>(st.book->keys()));
  auto evicted = st.book->evictions();
  st.env.metrics->evictions->inc(evicted - st.evictions_seen);
  st.evictions_seen = evicted;
}

} // namespace

budget_metrics budget_metrics::make(metrics::registry& reg) {
  budget_metrics m;
  m.decisions = &reg.counter_family(
    "bsm_budget_decisions_total",
    "Model calls reserved on budget counters this node keeps, by budget and "
    "outcome (granted, refused).",
    {"budget", "outcome"});
  m.settles = &reg.counter_family(
    "bsm_budget_settles_total",
    "Reported usage settled on budget counters this node keeps, by budget "
    "and outcome (settled, not_held: expired or unknown reservation).",
    {"budget", "outcome"});
  m.events = &reg.counter_family(
    "bsm_budget_events_total",
    "Budget windows that reached 80% (warning) or 100% (spent), by budget.",
    {"budget", "level"});
  m.counters = &reg
                  .gauge_family("bsm_budget_counters",
                                "Budget counters this node keeps.")
                  .with();
  m.evictions
    = &reg
         .counter_family("bsm_budget_keys_evicted_total",
                         "Budget counters forgotten at budgets.max_keys.")
         .with();
  m.unreachable = &reg.counter_family(
    "bsm_budget_unreachable_total",
    "Model calls refused because their budget counter's owner could not be "
    "asked, by budget.",
    {"budget"});
  return m;
}

budget_actor::behavior_type
budget_counters(budget_actor::stateful_pointer<budget_state> self,
                budget_env env) {
  self->state.book = std::make_unique<budgets::budget_book>(env.opts);
  self->state.env = std::move(env);
  return {
    [self](const v1::BudgetAcquireRequest& req)
      -> caf::result<v1::BudgetAcquireResponse> {
      auto resp = self->state.book->acquire(req, unix_now_ms());
      if (!resp)
        return std::move(resp.error());
      if (const auto* m = self->state.env.metrics)
        m->decisions
          ->with({req.budget(), resp->granted() ? "granted" : "refused"})
          .inc();
      after_change(self);
      return std::move(*resp);
    },
    [self](const v1::BudgetSettleRequest& req)
      -> caf::result<v1::BudgetSettleResponse> {
      auto held = self->state.book->settle(req, unix_now_ms());
      if (!held)
        return std::move(held.error());
      if (const auto* m = self->state.env.metrics)
        m->settles->with({req.budget(), *held ? "settled" : "not_held"}).inc();
      after_change(self);
      return v1::BudgetSettleResponse{};
    },
    [self](const v1::BudgetListRequest&) -> v1::BudgetListResponse {
      auto resp = self->state.book->list(unix_now_ms());
      after_change(self);
      return resp;
    },
  };
}

child_spec budgets_child(budget_env env,
                         std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = budgets_path;
  spec.handles = handled_types<budget_actor>();
  spec.shutdown_timeout = shutdown_timeout;
  spec.start = [env](caf::actor_system& sys,
                     const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(sys.spawn(budget_counters, env));
  };
  return spec;
}

} // namespace bsm
