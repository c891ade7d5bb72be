#pragma once

// The wait between a failed attempt of a task and its next one:
// exponential, capped, with jitter so tasks that failed together do not
// all come back at the same moment. The random source is a parameter.

#include <chrono>
#include <cstdint>
#include <functional>

namespace bsm::tasks {

struct backoff_policy {
  /// The wait after the first failure. REQUIRES: > 0.
  std::chrono::milliseconds initial{1000};
  /// No wait is longer. REQUIRES: >= initial.
  std::chrono::milliseconds max{60'000};
};

/// Uniform in [0, 1).
using random_source = std::function<double()>;

/// The wait after `failed` attempts (>= 1) failed: base = initial *
/// 2^(failed-1), at most `max`; the result is uniform in [base/2, base]
/// ("equal jitter"), so it still grows with each failure and never
/// exceeds `max`.
[[nodiscard]] std::chrono::milliseconds
backoff_delay(const backoff_policy& policy, uint32_t failed,
              const random_source& random);

/// A random source on a std::mt19937_64 seeded from std::random_device.
[[nodiscard]] random_source default_random_source();

} // namespace bsm::tasks
