#pragma once

// The decisions of a supervisor, free of actors so they can be unit tested:
// whether a child restarts, whether the restart intensity is exceeded, and
// how long to back off.

#include <chrono>
#include <cstdint>
#include <deque>

#include <caf/error.hpp>

#include "runtime/supervision/child_spec.hpp"

namespace bsm {

using steady_time = std::chrono::steady_clock::time_point;

/// True for the exits a transient child is not restarted after: no error,
/// `exit_reason::normal` and a requested `exit_reason::user_shutdown`.
[[nodiscard]] bool is_normal_exit(const caf::error& reason);

[[nodiscard]] bool should_restart(restart_type type, const caf::error& reason);

/// A sliding window of restart times.
class restart_window {
public:
  explicit restart_window(std::chrono::milliseconds period);

  /// Records a restart at `now` and returns the restarts in the window,
  /// this one included.
  size_t record(steady_time now);

  /// Restarts within the window ending at `now`.
  [[nodiscard]] size_t count(steady_time now);

private:
  void expire(steady_time now);

  std::chrono::milliseconds period_;
  std::deque<steady_time> times_;
};

/// initial * 2^previous_restarts, capped at `max` (no overflow for any input).
[[nodiscard]] std::chrono::milliseconds
backoff_delay(size_t previous_restarts, std::chrono::milliseconds initial,
              std::chrono::milliseconds max);

} // namespace bsm
