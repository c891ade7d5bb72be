#pragma once

// What a limiter answers about one request: go ahead, or wait this long.

#include <chrono>

namespace bsm::security {

struct throttle_decision {
  bool allowed = true;
  /// When refused: the wait in whole seconds, rounded up and at least 1,
  /// ready for a Retry-After header. Zero when allowed.
  std::chrono::seconds retry_after{0};
};

/// A refusal for a caller that may try again after `wait`.
inline throttle_decision refuse_for(std::chrono::nanoseconds wait) {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
  if (seconds < std::chrono::seconds{1})
    seconds = std::chrono::seconds{1};
  return throttle_decision{false, seconds};
}

} // namespace bsm::security
