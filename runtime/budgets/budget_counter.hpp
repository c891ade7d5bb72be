#pragma once

// The counter of one budget key (one budget and one agent, principal or
// model): its windows and the reservations of calls in flight. Before a
// model call the caller reserves its estimate in every window, all or
// nothing; after it, the provider's reported usage replaces the estimate
// (settle). A reservation never settled (its caller crashed, its answer
// was lost) expires after `reservation_timeout`: its entry is dropped and
// its estimate stays counted, since the call may well have run.
//
// Usage is charged to the windows the call was admitted in: a settle that
// comes after its window ended changes nothing there (the window is gone)
// and nothing in the new one.
//
// Pure state with the clock as a parameter (Unix ms); not thread-safe.
// Memory: at most max_reservations reservations; beyond them the oldest
// expires early.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/budgets/budget_window.hpp"

namespace bsm::budgets {

/// A budget's limits; 0 means no limit of that kind.
struct budget_limits {
  uint64_t requests_per_minute = 0;
  uint64_t requests_per_day = 0;
  uint64_t tokens_per_minute = 0;
  uint64_t tokens_per_day = 0;
  /// In millionths of the prices' currency unit.
  uint64_t cost_per_day_micros = 0;
};

/// True if `x` sets no limit at all.
bool unlimited(const budget_limits& x);

struct counter_options {
  /// Time after which a reservation that was not settled expires.
  std::chrono::milliseconds reservation_timeout = std::chrono::minutes{10};
  /// Most reservations in flight per key. REQUIRES: > 0.
  size_t max_reservations = 10'000;
};

/// The answer to a reservation.
struct acquire_outcome {
  bool granted = false;
  /// Refused: the limit without room (the one that refills last when
  /// several have none) and the time until it refills.
  limit_kind refused_by = limit_kind::requests_per_minute;
  std::chrono::milliseconds retry_after{0};
};

/// A level a window reached, reported once per window (budget_window).
struct level_event {
  limit_kind kind;
  budget_level level;
  uint64_t used;
  uint64_t limit;
};

/// One limit as GET /v1/budgets shows it.
struct limit_use {
  limit_kind kind;
  uint64_t limit;
  uint64_t used;
  /// When the current window ends (Unix ms).
  int64_t resets_at_ms;
};

class budget_counter {
public:
  /// REQUIRES: !unlimited(limits), opts.max_reservations > 0.
  budget_counter(const budget_limits& limits, counter_options opts);

  /// Reserves `estimate` in every window at `now_ms`, or nothing if one of
  /// them has no room. The same id again (a retried request whose answer
  /// was lost) is granted without counting twice.
  acquire_outcome acquire(const std::string& id, const budget_amount& estimate,
                          int64_t now_ms);

  /// Replaces reservation `id`'s estimated tokens and cost with `actual`
  /// in the windows it was counted in that are still current; the request
  /// stays counted. False for an id not held (never reserved, settled
  /// already, expired).
  bool settle(const std::string& id, const budget_amount& actual,
              int64_t now_ms);

  /// Every limit's use in its current window.
  std::vector<limit_use> use(int64_t now_ms);

  /// The levels reached since the last call, each once per window.
  std::vector<level_event> take_events();

  /// True when no window holds anything and no reservation is held: the
  /// counter can be forgotten without changing any answer.
  bool idle(int64_t now_ms);

  size_t reservations() const noexcept {
    return reserved_.size();
  }

private:
  struct reservation {
    budget_amount estimate;
    int64_t expires_ms;
    /// Each window's start when the estimate went in, by window index.
    std::vector<int64_t> window_starts;
  };

  void roll(int64_t now_ms);
  void expire(int64_t now_ms);
  void drop_oldest();
  void collect_events();

  counter_options opts_;
  std::vector<budget_window> windows_;
  std::unordered_map<std::string, reservation> reserved_;
  /// Reservation ids in the order they were made, for expiry; may hold ids
  /// settled already (skipped when reached).
  std::deque<std::string> order_;
  std::vector<level_event> events_;
};

} // namespace bsm::budgets
