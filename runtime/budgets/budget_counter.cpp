#include "runtime/budgets/budget_counter.hpp"

#include <algorithm>
#include <utility>

namespace bsm::budgets {

namespace {

bool counts_requests(limit_kind x) {
  return x == limit_kind::requests_per_minute
         || x == limit_kind::requests_per_day;
}

} // namespace

bool unlimited(const budget_limits& x) {
  return x.requests_per_minute == 0 && x.requests_per_day == 0
         && x.tokens_per_minute == 0 && x.tokens_per_day == 0
         && x.cost_per_day_micros == 0;
}

budget_counter::budget_counter(const budget_limits& limits,
                               counter_options opts)
  : opts_(opts) {
  auto add = [this](limit_kind kind, uint64_t limit) {
    if (limit > 0)
      windows_.emplace_back(kind, limit);
  };
  add(limit_kind::requests_per_minute, limits.requests_per_minute);
  add(limit_kind::requests_per_day, limits.requests_per_day);
  add(limit_kind::tokens_per_minute, limits.tokens_per_minute);
  add(limit_kind::tokens_per_day, limits.tokens_per_day);
  add(limit_kind::cost_per_day, limits.cost_per_day_micros);
}

void budget_counter::roll(int64_t now_ms) {
  for (auto& w : windows_)
    w.roll(now_ms);
}

void budget_counter::expire(int64_t now_ms) {
  while (!order_.empty()) {
    auto i = reserved_.find(order_.front());
    if (i != reserved_.end() && i->second.expires_ms > now_ms)
      return;
    // Expired (its estimate stays counted) or settled already.
    if (i != reserved_.end())
      reserved_.erase(i);
    order_.pop_front();
  }
}

void budget_counter::drop_oldest() {
  while (!order_.empty()) {
    auto id = std::move(order_.front());
    order_.pop_front();
    if (reserved_.erase(id) > 0)
      return;
  }
}

void budget_counter::collect_events() {
  for (auto& w : windows_)
    if (auto level = w.take_new_level())
      events_.push_back({w.kind(), *level, w.used(), w.limit()});
}

acquire_outcome budget_counter::acquire(const std::string& id,
                                        const budget_amount& estimate,
                                        int64_t now_ms) {
  roll(now_ms);
  expire(now_ms);
  acquire_outcome result;
  if (reserved_.count(id) > 0) {
    result.granted = true;
    return result;
  }
  bool refused = false;
  for (auto& w : windows_) {
    if (w.fits(amount_of(w.kind(), estimate)))
      continue;
    w.refused();
    std::chrono::milliseconds wait{std::max<int64_t>(1, w.end_ms() - now_ms)};
    if (!refused || wait > result.retry_after) {
      result.refused_by = w.kind();
      result.retry_after = wait;
    }
    refused = true;
  }
  if (refused) {
    collect_events();
    return result;
  }
  if (reserved_.size() >= opts_.max_reservations)
    drop_oldest();
  reservation r{estimate, now_ms + opts_.reservation_timeout.count(), {}};
  for (auto& w : windows_) {
    w.add(amount_of(w.kind(), estimate));
    r.window_starts.push_back(w.start_ms());
  }
  reserved_.emplace(id, std::move(r));
  order_.push_back(id);
  // Settled ids linger in order_ until they reach its front: keep it near
  // the number of reservations held.
  if (order_.size() > 2 * opts_.max_reservations + 16) {
    std::deque<std::string> held;
    for (auto& x : order_)
      if (reserved_.count(x) > 0)
        held.push_back(std::move(x));
    order_ = std::move(held);
  }
  collect_events();
  result.granted = true;
  return result;
}

bool budget_counter::settle(const std::string& id, const budget_amount& actual,
                            int64_t now_ms) {
  roll(now_ms);
  auto i = reserved_.find(id);
  if (i == reserved_.end())
    return false;
  const auto& r = i->second;
  for (size_t n = 0; n < windows_.size(); ++n) {
    auto& w = windows_[n];
    if (w.start_ms() != r.window_starts[n] || counts_requests(w.kind()))
      continue; // a window gone, or a request count (stays counted)
    w.remove(amount_of(w.kind(), r.estimate));
    w.add(amount_of(w.kind(), actual));
  }
  reserved_.erase(i);
  collect_events();
  return true;
}

std::vector<limit_use> budget_counter::use(int64_t now_ms) {
  roll(now_ms);
  expire(now_ms);
  std::vector<limit_use> result;
  for (const auto& w : windows_)
    result.push_back({w.kind(), w.limit(), w.used(), w.end_ms()});
  return result;
}

std::vector<level_event> budget_counter::take_events() {
  return std::exchange(events_, {});
}

bool budget_counter::idle(int64_t now_ms) {
  roll(now_ms);
  expire(now_ms);
  if (!reserved_.empty())
    return false;
  return std::all_of(windows_.begin(), windows_.end(),
                     [](const budget_window& w) { return w.used() == 0; });
}

} // namespace bsm::budgets
