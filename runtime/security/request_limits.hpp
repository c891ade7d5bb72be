#pragma once

// The request-rate limits of the HTTP front: a token bucket per client
// address (checked before authentication, so bad credentials cost the
// same bounded work) and one per principal and route group (the
// permission's area: agents, actors, ...), so one noisy client is limited
// while others are served. Thread-safe: the front calls it from every I/O
// thread.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/metrics/registry.hpp"
#include "runtime/security/throttle_decision.hpp"
#include "runtime/security/token_bucket.hpp"

namespace bsm::security {

struct request_limit_options {
  /// Requests per second and burst per client address; rate 0: no limit.
  uint32_t per_address_rate = 0;
  uint32_t per_address_burst = 0;
  /// Requests per second and burst per principal and route group.
  uint32_t per_principal_rate = 0;
  uint32_t per_principal_burst = 0;
};

class request_limits {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Counts refusals in bsm_http_rate_limited_total{scope} of `metrics`
  /// (may be null), and shows the buckets' keys and evictions in
  /// bsm_http_rate_limit_keys{scope} and
  /// bsm_http_rate_limit_evictions_total{scope} (scope address, principal).
  request_limits(const request_limit_options& opts, metrics::registry* metrics);

  throttle_decision check_address(std::string_view address, time_point now);

  throttle_decision check_principal(std::string_view principal,
                                    std::string_view group, time_point now);

  /// Counts a refusal of another limit (scope "chats", "streams").
  void count_refusal(const std::string& scope);

private:
  /// One bucket map's series and the evictions already counted.
  struct bucket_series {
    metrics::gauge* keys = nullptr;
    metrics::counter* evictions = nullptr;
    uint64_t counted = 0;
  };
  /// REQUIRES: mtx_ held.
  static void publish(const token_bucket& buckets, bucket_series& series);

  std::mutex mtx_;
  token_bucket per_address_;
  token_bucket per_principal_;
  metrics::family<metrics::counter>* refused_ = nullptr;
  bucket_series address_series_;
  bucket_series principal_series_;
};

} // namespace bsm::security
