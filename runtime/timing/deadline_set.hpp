#pragma once

// The pending deadlines of one actor's requests, and the timer that checks
// them. CAF 0.17 keeps a request's timeout in its clock until it fires,
// answered or not; an actor on a hot path instead sends its requests
// without a timeout, keeps their deadlines here and has one timer message
// armed for the earliest (actors/timed_request.hpp). Pure: the clock is a
// parameter.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bsm::timing {

class deadline_set {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// Registers request `id` (unique among the pending ones) due at
  /// `deadline`. Returns true if no armed timer fires at or before it: the
  /// caller must then arm one for `deadline`, which this records as armed.
  [[nodiscard]] bool add(uint64_t id, time_point deadline);

  /// Forgets `id` (answered, or failed otherwise). Returns false if it was
  /// not pending: expired already, or never added.
  bool remove(uint64_t id);

  /// One armed timer fired (call once per timer message) and it is `now`:
  /// returns the ids whose deadline is at or before `now`, earliest first;
  /// they are no longer pending.
  [[nodiscard]] std::vector<uint64_t> expired(time_point now);

  /// The earliest pending deadline, if any.
  [[nodiscard]] std::optional<time_point> next() const;

  /// The time to arm a timer for, if a deadline is pending and no armed
  /// timer fires at or before it; recorded as armed. Call after expired().
  [[nodiscard]] std::optional<time_point> rearm();

  /// Pending requests.
  [[nodiscard]] size_t size() const noexcept {
    return by_id_.size();
  }

  /// Timers armed and not yet fired (one in the steady state; one more for
  /// each deadline that came earlier than every armed timer).
  [[nodiscard]] size_t armed() const noexcept {
    return armed_.size();
  }

private:
  // True if an armed timer fires at or before `t`.
  bool covered(time_point t) const;

  std::multimap<time_point, uint64_t> by_time_;
  std::unordered_map<uint64_t, std::multimap<time_point, uint64_t>::iterator>
    by_id_;
  std::multiset<time_point> armed_;
};

} // namespace bsm::timing
