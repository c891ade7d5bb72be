#pragma once

// One limit of a budget over one fixed window of time: requests or tokens
// per minute or per day, or cost per day. Windows are aligned to the Unix
// epoch (minutes; days from 00:00 UTC), so every node computes the same
// window and its end, which is when the budget refills. Pure state with
// the clock as a parameter (Unix milliseconds); not thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>

namespace bsm::budgets {

/// The kinds of limit a budget may set.
enum class limit_kind : uint8_t {
  requests_per_minute,
  requests_per_day,
  tokens_per_minute,
  tokens_per_day,
  cost_per_day,
};

/// The config key and API name ("requests_per_minute", ...).
const char* to_string(limit_kind x);

/// The window's length: a minute or a day.
std::chrono::milliseconds window_length(limit_kind x);

/// An amount in the API's unit: cost in currency units (millionths / 1e6),
/// requests and tokens as counts.
double in_units(limit_kind kind, uint64_t x);

/// What one model call takes from a budget.
struct budget_amount {
  uint64_t requests = 0;
  uint64_t tokens = 0;
  /// In millionths of the prices' currency unit.
  uint64_t cost_micros = 0;
};

/// The part of `x` that a limit of kind `kind` counts.
uint64_t amount_of(limit_kind kind, const budget_amount& x);

/// How full a window is, for the budget's events.
enum class budget_level : uint8_t {
  below,
  /// At least 80% used.
  warning,
  /// 100% used, or a call refused for lack of room.
  spent,
};

class budget_window {
public:
  /// REQUIRES: limit > 0.
  budget_window(limit_kind kind, uint64_t limit);

  /// Moves to the window that holds `now_ms` when it is past the current
  /// one's end; the new window starts empty.
  void roll(int64_t now_ms);

  /// Whether `amount` fits now. A single amount larger than the whole
  /// limit fits only an empty window, or it could never be admitted.
  bool fits(uint64_t amount) const;

  void add(uint64_t amount);
  /// Takes back at most what the window holds.
  void remove(uint64_t amount);

  /// Records a refusal: the window counts as spent for its events.
  void refused();

  /// The level reached that was not reported yet in this window, once:
  /// warning at most once and spent at most once per window.
  std::optional<budget_level> take_new_level();

  limit_kind kind() const noexcept {
    return kind_;
  }
  uint64_t limit() const noexcept {
    return limit_;
  }
  uint64_t used() const noexcept {
    return used_;
  }
  /// Where the current window starts and ends (Unix ms): it refills at
  /// its end.
  int64_t start_ms() const noexcept {
    return start_ms_;
  }
  int64_t end_ms() const noexcept {
    return start_ms_ + length_ms_;
  }

private:
  budget_level level() const;

  limit_kind kind_;
  uint64_t limit_;
  int64_t length_ms_;
  int64_t start_ms_ = 0;
  uint64_t used_ = 0;
  bool refused_ = false;
  budget_level reported_ = budget_level::below;
};

} // namespace bsm::budgets
