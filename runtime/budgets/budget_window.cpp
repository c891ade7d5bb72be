#include "runtime/budgets/budget_window.hpp"

#include <algorithm>

namespace bsm::budgets {

using namespace std::chrono_literals;

const char* to_string(limit_kind x) {
  switch (x) {
    case limit_kind::requests_per_minute: return "requests_per_minute";
    case limit_kind::requests_per_day: return "requests_per_day";
    case limit_kind::tokens_per_minute: return "tokens_per_minute";
    case limit_kind::tokens_per_day: return "tokens_per_day";
    case limit_kind::cost_per_day: return "cost_per_day";
  }
  return "unknown";
}

std::chrono::milliseconds window_length(limit_kind x) {
  switch (x) {
    case limit_kind::requests_per_minute:
    case limit_kind::tokens_per_minute: return 1min;
    default: return 24h;
  }
}

uint64_t amount_of(limit_kind kind, const budget_amount& x) {
  switch (kind) {
    case limit_kind::requests_per_minute:
    case limit_kind::requests_per_day: return x.requests;
    case limit_kind::tokens_per_minute:
    case limit_kind::tokens_per_day: return x.tokens;
    case limit_kind::cost_per_day: return x.cost_micros;
  }
  return 0;
}

double in_units(limit_kind kind, uint64_t x) {
  if (kind == limit_kind::cost_per_day)
    return static_cast<double>(x) / 1e6;
  return static_cast<double>(x);
}

budget_window::budget_window(limit_kind kind, uint64_t limit)
  : kind_(kind), limit_(limit), length_ms_(window_length(kind).count()) {}

void budget_window::roll(int64_t now_ms) {
  if (now_ms < end_ms())
    return;
  start_ms_ = now_ms - now_ms % length_ms_;
  used_ = 0;
  refused_ = false;
  reported_ = budget_level::below;
}

bool budget_window::fits(uint64_t amount) const {
  if (used_ == 0)
    return true;
  return amount <= limit_ && used_ <= limit_ - amount;
}

void budget_window::add(uint64_t amount) {
  used_ += amount;
}

void budget_window::remove(uint64_t amount) {
  used_ -= std::min(used_, amount);
}

void budget_window::refused() {
  refused_ = true;
}

budget_level budget_window::level() const {
  if (refused_ || used_ >= limit_)
    return budget_level::spent;
  // At least 80%: ceil(limit * 4 / 5), without overflow near 2^64.
  if (used_ >= limit_ / 5 * 4 + ((limit_ % 5) * 4 + 4) / 5)
    return budget_level::warning;
  return budget_level::below;
}

std::optional<budget_level> budget_window::take_new_level() {
  auto now = level();
  if (now <= reported_)
    return std::nullopt;
  // Jumping from below to spent reports spent only: it says more.
  reported_ = now;
  return now;
}

} // namespace bsm::budgets
