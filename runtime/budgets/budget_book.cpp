#include "runtime/budgets/budget_book.hpp"

#include <utility>

#include "runtime/error.hpp"

namespace bsm::budgets {

namespace {

// The counter's key in the map: the budget name cannot hold NUL.
std::string map_key(const std::string& budget, const std::string& key) {
  std::string result = budget;
  result += '\0';
  result += key;
  return result;
}

} // namespace

budget_book::budget_book(budgets_options opts)
  : opts_(std::move(opts)), counters_(opts_.max_keys) {}

caf::expected<const budget_spec*>
budget_book::spec_of(const std::string& budget, const std::string& key,
                     const std::string& id) const {
  if (key.empty() || id.empty())
    return make_error(errc::invalid_argument,
                      "a budget request needs a key and a reservation id");
  for (const auto& spec : opts_.limits)
    if (spec.name == budget)
      return &spec;
  return make_error(errc::invalid_argument,
                    "no budget '" + budget
                      + "' in this node's config (budgets must be the same "
                        "on every node)");
}

budget_book::entry& budget_book::counter_of(const budget_spec& spec,
                                            const std::string& key,
                                            int64_t now_ms) {
  auto name = map_key(spec.name, key);
  if (auto* found = counters_.find(name))
    return *found;
  if (counters_.size() >= counters_.max_entries())
    counters_.erase_idle_oldest(
      [now_ms](entry& e) { return e.counter.idle(now_ms); });
  counter_options copts{opts_.reservation_timeout,
                        static_cast<size_t>(opts_.max_reservations)};
  return counters_.put(
    name, entry{spec.name, key, budget_counter{spec.limits, copts}});
}

void budget_book::collect(entry& e) {
  for (auto& ev : e.counter.take_events())
    events_.push_back({e.budget, e.key, ev});
}

caf::expected<v1::BudgetAcquireResponse>
budget_book::acquire(const v1::BudgetAcquireRequest& req, int64_t now_ms) {
  auto spec = spec_of(req.budget(), req.key(), req.reservation_id());
  if (!spec)
    return spec.error();
  auto& e = counter_of(**spec, req.key(), now_ms);
  auto outcome = e.counter.acquire(
    req.reservation_id(), {req.requests(), req.tokens(), req.cost_micros()},
    now_ms);
  collect(e);
  v1::BudgetAcquireResponse resp;
  resp.set_granted(outcome.granted);
  if (!outcome.granted) {
    resp.set_budget(req.budget());
    resp.set_retry_after_ms(outcome.retry_after.count());
  }
  return resp;
}

caf::expected<bool> budget_book::settle(const v1::BudgetSettleRequest& req,
                                        int64_t now_ms) {
  auto spec = spec_of(req.budget(), req.key(), req.reservation_id());
  if (!spec)
    return spec.error();
  auto* e = counters_.find(map_key(req.budget(), req.key()));
  if (e == nullptr)
    return false;
  auto held = e->counter.settle(req.reservation_id(),
                                {0, req.tokens(), req.cost_micros()}, now_ms);
  collect(*e);
  return held;
}

v1::BudgetListResponse budget_book::list(int64_t now_ms) {
  v1::BudgetListResponse resp;
  counters_.for_each([&](std::string_view, entry& e) {
    const budget_spec* spec = nullptr;
    for (const auto& s : opts_.limits)
      if (s.name == e.budget)
        spec = &s;
    for (const auto& use : e.counter.use(now_ms)) {
      auto* x = resp.add_budgets();
      x->set_name(e.budget);
      x->set_scope(spec ? to_string(spec->scope) : "");
      x->set_key(e.key);
      x->set_limit_kind(to_string(use.kind));
      x->set_limit(in_units(use.kind, use.limit));
      x->set_used(in_units(use.kind, use.used));
      x->set_remaining(
        in_units(use.kind, use.used >= use.limit ? 0 : use.limit - use.used));
      x->set_resets_at_unix_ms(use.resets_at_ms);
    }
  });
  return resp;
}

std::vector<book_event> budget_book::take_events() {
  return std::exchange(events_, {});
}

} // namespace bsm::budgets
