#include "runtime/security/request_limits.hpp"

namespace bsm::security {

namespace {

token_bucket_options bucket(uint32_t rate, uint32_t burst) {
  token_bucket_options result;
  result.rate_per_second = rate;
  result.burst = rate == 0 ? 1 : burst;
  return result;
}

} // namespace

request_limits::request_limits(const request_limit_options& opts,
                               metrics::registry* metrics)
  : per_address_(bucket(opts.per_address_rate, opts.per_address_burst)),
    per_principal_(bucket(opts.per_principal_rate, opts.per_principal_burst)) {
  if (!metrics)
    return;
  refused_ = &metrics->counter_family(
    "bsm_http_rate_limited_total",
    "Requests refused with 429, by the limit that refused them (address, "
    "principal, chats, streams).",
    {"scope"});
  auto& keys = metrics->gauge_family(
    "bsm_http_rate_limit_keys",
    "Keys the request-rate limits track, by scope (address, principal).",
    {"scope"});
  auto& evictions = metrics->counter_family(
    "bsm_http_rate_limit_evictions_total",
    "Active keys the request-rate limits forgot to stay within their bound, "
    "by scope (address, principal).",
    {"scope"});
  address_series_ = {&keys.with({"address"}), &evictions.with({"address"})};
  principal_series_
    = {&keys.with({"principal"}), &evictions.with({"principal"})};
}

void request_limits::publish(const token_bucket& buckets,
                             bucket_series& series) {
  if (!series.keys)
    return;
  series.keys->set(static_cast<double>(buckets.size()));
  series.evictions->inc(buckets.evictions() - series.counted);
  series.counted = buckets.evictions();
}

throttle_decision request_limits::check_address(std::string_view address,
                                                time_point now) {
  std::unique_lock<std::mutex> guard{mtx_};
  auto result = per_address_.check(address, now);
  publish(per_address_, address_series_);
  guard.unlock();
  if (!result.allowed)
    count_refusal("address");
  return result;
}

throttle_decision request_limits::check_principal(std::string_view principal,
                                                  std::string_view group,
                                                  time_point now) {
  std::string key{principal};
  key += '|';
  key += group;
  std::unique_lock<std::mutex> guard{mtx_};
  auto result = per_principal_.check(key, now);
  publish(per_principal_, principal_series_);
  guard.unlock();
  if (!result.allowed)
    count_refusal("principal");
  return result;
}

void request_limits::count_refusal(const std::string& scope) {
  if (refused_)
    refused_->with({scope}).inc();
}

} // namespace bsm::security
