#include "runtime/security/login_backoff.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

constexpr uint32_t max_free_failures = 1000;

// How many doublings take `first` to at least `cap`.
size_t doublings_to(std::chrono::milliseconds first,
                    std::chrono::milliseconds cap) {
  size_t result = 0;
  for (auto delay = first; delay < cap; delay *= 2)
    ++result;
  return result;
}

} // namespace

caf::error validate(const login_backoff_options& opts) {
  using std::chrono::milliseconds;
  if (opts.free_failures > max_free_failures)
    return make_error(errc::invalid_argument,
                      "login backoff: free_failures must be at most 1000");
  if (opts.first_delay < milliseconds{1})
    return make_error(errc::invalid_argument,
                      "login backoff: first_delay must be at least 1 ms");
  if (opts.max_delay < opts.first_delay)
    return make_error(errc::invalid_argument,
                      "login backoff: max_delay must be at least first_delay");
  if (opts.forget_after < opts.max_delay)
    return make_error(errc::invalid_argument,
                      "login backoff: forget_after must be at least "
                      "max_delay");
  if (opts.max_users < 1 || opts.max_addresses < 1)
    return make_error(errc::invalid_argument,
                      "login backoff: max_users and max_addresses must be "
                      "at least 1");
  return caf::none;
}

login_backoff_metrics login_backoff_metrics::make(metrics::registry& reg) {
  auto& keys = reg.gauge_family(
    "bsm_auth_login_backoff_keys",
    "Keys the login backoff tracks, by scope (user, address; at most "
    "10,000 each).",
    {"scope"});
  auto& evictions = reg.counter_family(
    "bsm_auth_login_backoff_evictions_total",
    "Keys the login backoff forgot to make room for new ones, by scope "
    "(user, address); their failures no longer count.",
    {"scope"});
  return login_backoff_metrics{&keys.with({"user"}), &keys.with({"address"}),
                               &evictions.with({"user"}),
                               &evictions.with({"address"})};
}

login_backoff::login_backoff(login_backoff_options opts,
                             login_backoff_metrics metrics)
  : opts_(opts),
    max_counted_(opts.free_failures
                 + doublings_to(opts.first_delay, opts.max_delay) + 1),
    users_(std::max<size_t>(opts.max_users, 1)),
    addresses_(std::max<size_t>(opts.max_addresses, 1)), metrics_(metrics) {
  publish();
}

throttle_decision login_backoff::check(std::string_view user,
                                       std::string_view address,
                                       time_point now) {
  auto wait
    = std::max(wait_of(users_, user, now), wait_of(addresses_, address, now));
  publish();
  if (wait > std::chrono::nanoseconds::zero())
    return refuse_for(wait);
  return {};
}

void login_backoff::record_failure(std::string_view user,
                                   std::string_view address, time_point now) {
  add_failure(users_, user, now);
  add_failure(addresses_, address, now);
  publish();
}

void login_backoff::record_success(std::string_view user) {
  if (!user.empty())
    users_.erase(user);
  publish();
}

void login_backoff::publish() {
  auto show = [](metrics::gauge* size, metrics::counter* evictions,
                 const lru_map<history>& keys, uint64_t& published) {
    if (size)
      size->set(static_cast<double>(keys.size()));
    if (evictions)
      evictions->inc(keys.evictions() - published);
    published = keys.evictions();
  };
  show(metrics_.users, metrics_.user_evictions, users_,
       published_user_evictions_);
  show(metrics_.addresses, metrics_.address_evictions, addresses_,
       published_address_evictions_);
}

std::chrono::nanoseconds login_backoff::wait_of(lru_map<history>& keys,
                                                std::string_view key,
                                                time_point now) {
  keys.erase_idle_oldest([&](const history& h) { return is_idle(h, now); });
  if (key.empty())
    return std::chrono::nanoseconds::zero();
  auto* h = keys.find(key);
  if (h == nullptr || h->waits_until <= now)
    return std::chrono::nanoseconds::zero();
  return h->waits_until - now;
}

void login_backoff::add_failure(lru_map<history>& keys, std::string_view key,
                                time_point now) {
  if (key.empty())
    return;
  auto& h = keys.touch(key);
  forget_old(h, now);
  h.failures.push_back(now);
  if (h.failures.size() > max_counted_)
    h.failures.erase(h.failures.begin());
  if (h.failures.size() > opts_.free_failures)
    h.waits_until
      = std::max(h.waits_until, now + delay_after(h.failures.size()));
}

void login_backoff::forget_old(history& h, time_point now) const {
  auto recent
    = std::find_if(h.failures.begin(), h.failures.end(),
                   [&](time_point t) { return now - t < opts_.forget_after; });
  h.failures.erase(h.failures.begin(), recent);
}

bool login_backoff::is_idle(const history& h, time_point now) const {
  return h.waits_until <= now
         && (h.failures.empty()
             || now - h.failures.back() >= opts_.forget_after);
}

std::chrono::nanoseconds login_backoff::delay_after(size_t count) const {
  std::chrono::nanoseconds delay = opts_.first_delay;
  for (auto i = opts_.free_failures + size_t{1}; i < count; ++i) {
    delay *= 2;
    if (delay >= opts_.max_delay)
      return opts_.max_delay;
  }
  return std::min<std::chrono::nanoseconds>(delay, opts_.max_delay);
}

} // namespace bsm::security
