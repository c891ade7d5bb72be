#include "runtime/security/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

constexpr double min_rate = 0.001;
constexpr double max_rate = 1e6;
constexpr uint32_t max_burst = 1'000'000;

std::chrono::nanoseconds interval_for(double rate_per_second) {
  if (rate_per_second <= 0)
    return std::chrono::nanoseconds{0};
  return std::chrono::nanoseconds{std::llround(1e9 / rate_per_second)};
}

} // namespace

caf::error validate(const token_bucket_options& opts) {
  // The bounds keep burst * interval well inside 64-bit nanoseconds.
  if (!std::isfinite(opts.rate_per_second) || opts.rate_per_second < 0
      || (opts.rate_per_second > 0 && opts.rate_per_second < min_rate)
      || opts.rate_per_second > max_rate)
    return make_error(errc::invalid_argument,
                      "rate limit: rate must be 0 (off) or between 0.001 and "
                      "1000000 per second");
  if (opts.rate_per_second > 0 && (opts.burst < 1 || opts.burst > max_burst))
    return make_error(errc::invalid_argument,
                      "rate limit: burst must be between 1 and "
                        + std::to_string(max_burst));
  if (opts.max_keys < 1)
    return make_error(errc::invalid_argument,
                      "rate limit: max_keys must be at least 1");
  return caf::none;
}

token_bucket::token_bucket(token_bucket_options opts)
  : interval_(interval_for(opts.rate_per_second)),
    capacity_(interval_ * opts.burst),
    buckets_(std::max<size_t>(opts.max_keys, 1)) {}

throttle_decision token_bucket::check(std::string_view key, time_point now) {
  if (interval_.count() == 0)
    return {};
  buckets_.erase_idle_oldest(
    [now](const bucket& b) { return b.full_at <= now; });
  auto* existing = buckets_.find(key);
  auto full_at = existing ? std::max(existing->full_at, now) : now;
  auto taken = full_at + interval_;
  // Allowed while the bucket holds a token: taking it leaves the refill
  // time within one full bucket of now.
  if (taken - now > capacity_)
    return refuse_for(taken - now - capacity_);
  buckets_.touch(key).full_at = taken;
  return {};
}

} // namespace bsm::security
