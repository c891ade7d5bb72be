#pragma once

// A token-bucket rate limit per key (a principal, a client address). Each
// key has a bucket of `burst` tokens that refills at `rate_per_second`; a
// request takes one token or is refused with the time until the next one.
// Pure state with the clock as a parameter; not thread-safe (one owner).
//
// Memory is bounded by max_keys. A bucket that has refilled completely is
// forgotten (a new key starts full, so that changes nothing), and a new key
// arriving at max_keys evicts the least recently used bucket.
//
// What a client making up keys (many source addresses, invented user
// names) can and cannot do: it cannot grow memory past max_keys, and it
// cannot take tokens from any other key, so it never gets another client
// refused. By cycling through more than max_keys keys it can push out
// buckets that were used less recently than all of its own, which gives
// those keys a full bucket again: eviction fails open for the evicted key,
// never closed. A key in steady use stays recent and keeps its state. The
// alternative, refusing new keys while the map is full, would let the same
// attacker deny every newcomer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <caf/error.hpp>

#include "runtime/security/lru_map.hpp"
#include "runtime/security/throttle_decision.hpp"

namespace bsm::security {

struct token_bucket_options {
  /// Tokens each key gains per second; 0 turns the limit off (every request
  /// allowed, nothing tracked); otherwise between 0.001 and 1'000'000.
  /// Default: 10.
  double rate_per_second = 10;
  /// Most tokens a key can save up: the size of a burst. At least 1 when
  /// the rate is not 0, at most 1'000'000. Default: 20.
  uint32_t burst = 20;
  /// Most keys tracked at once. At least 1. Default: 10'000.
  size_t max_keys = 10'000;
};

/// Errors: invalid_argument naming the field out of range.
[[nodiscard]] caf::error validate(const token_bucket_options& opts);

class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// REQUIRES: validate(opts) passed.
  explicit token_bucket(token_bucket_options opts);

  /// Takes a token from `key`'s bucket at `now`, or refuses with the wait
  /// until one is there. A refused request takes nothing. `now` must not go
  /// backwards between calls.
  throttle_decision check(std::string_view key, time_point now);

  /// Keys currently tracked (at most max_keys).
  size_t size() const noexcept {
    return buckets_.size();
  }

  /// Keys forgotten to make room for new ones while still active (idle
  /// ones are dropped without counting).
  uint64_t evictions() const noexcept {
    return buckets_.evictions();
  }

private:
  /// A bucket as one time point (the GCRA form of a token bucket): the
  /// moment it will be full again. Each token taken moves it one
  /// interval later; a bucket is full when it is not after now.
  struct bucket {
    time_point full_at{};
  };

  /// Time for one token to come back.
  std::chrono::nanoseconds interval_{0};
  /// Time for an empty bucket to fill: burst intervals.
  std::chrono::nanoseconds capacity_{0};
  lru_map<bucket> buckets_;
};

} // namespace bsm::security
