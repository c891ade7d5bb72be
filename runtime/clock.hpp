#pragma once

#include <chrono>
#include <cstdint>

namespace bsm {

/// Milliseconds since the Unix epoch, from the system clock: for times that
/// are stored or leave the process (deadlines, expiries, ids).
inline int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// Seconds since the Unix epoch, from the system clock: for JWT claims and
/// credential times.
inline int64_t unix_now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace bsm
