#pragma once

// Slows down password guessing: repeated authentication failures for one
// user name, or from one client address, make further attempts wait.
// Pure state with the clock as a parameter; not thread-safe (one owner).
//
// How a login uses it: check() first and answer 429 with Retry-After when
// refused, without looking at the password; otherwise verify, then
// record_failure() or record_success().
//
// The rule, per user name and per address separately: the first
// free_failures failures cost nothing; each failure after them makes the
// key wait, first_delay for the first and twice as long for each further
// one, up to max_delay. Attempts refused while waiting are not failures
// and do not extend the wait. A failure older than forget_after no longer
// counts, and a success clears the user's failures (not the address's: an
// attacker must not clear its own address by logging in to an account of
// its own between guesses).
//
// The trade-off: per-user backoff lets anyone slow a user down by failing
// logins under their name. The cap bounds it: each wait is at most
// max_delay, and when it ends the next attempt is checked, so an attacker
// can delay a legitimate user but never lock them out for good; the
// per-address backoff and rate limits bound how fast one address can do
// it. Per-address backoff alone would let an attacker with many addresses
// guess one password freely, hence both.
//
// Memory is bounded: at most max_users and max_addresses keys (the least
// recently used is evicted first, see lru_map) and a few time points per
// key. Evicting a waiting key forgets its wait; one address has to make
// max_users failures under other names to do that, while its own backoff
// slows it down.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "runtime/metrics/registry.hpp"
#include "runtime/security/lru_map.hpp"
#include "runtime/security/throttle_decision.hpp"

namespace bsm::security {

struct login_backoff_options {
  /// Failures within forget_after that cost no wait. At most 1000.
  /// Default: 5.
  uint32_t free_failures = 5;
  /// The wait after the first failure beyond the free ones; each further
  /// failure doubles it. At least 1 ms. Default: 1 s.
  std::chrono::milliseconds first_delay{std::chrono::seconds{1}};
  /// The longest wait. At least first_delay. Default: 15 min.
  std::chrono::milliseconds max_delay{std::chrono::minutes{15}};
  /// A failure older than this no longer counts. At least max_delay, so
  /// that failures spaced by the longest wait still add up. Default: 1 h.
  std::chrono::milliseconds forget_after{std::chrono::hours{1}};
  /// Most user names and most addresses tracked at once. At least 1 each.
  /// Default: 10'000 each.
  size_t max_users = 10'000;
  size_t max_addresses = 10'000;
};

/// Errors: invalid_argument naming the field out of range.
[[nodiscard]] caf::error validate(const login_backoff_options& opts);

/// Series bsm_auth_login_backoff_keys{scope} and
/// bsm_auth_login_backoff_evictions_total{scope} (scope: user, address);
/// null members of a default-built one are not updated.
struct login_backoff_metrics {
  metrics::gauge* users = nullptr;
  metrics::gauge* addresses = nullptr;
  metrics::counter* user_evictions = nullptr;
  metrics::counter* address_evictions = nullptr;

  /// Registers the families in `reg`.
  static login_backoff_metrics make(metrics::registry& reg);
};

class login_backoff {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// REQUIRES: validate(opts) passed.
  explicit login_backoff(login_backoff_options opts,
                         login_backoff_metrics metrics = {});

  /// Whether an attempt for `user` from `address` may go ahead at `now`;
  /// when either is waiting, refused with the longer of the two waits.
  /// An empty user or address is not tracked (an API-key login has no
  /// user name). `now` must not go backwards between calls.
  throttle_decision check(std::string_view user, std::string_view address,
                          time_point now);

  /// Counts a failed attempt against both `user` and `address`.
  void record_failure(std::string_view user, std::string_view address,
                      time_point now);

  /// Clears `user`'s failures after a successful login.
  void record_success(std::string_view user);

  size_t tracked_users() const noexcept {
    return users_.size();
  }

  size_t tracked_addresses() const noexcept {
    return addresses_.size();
  }

  /// Keys forgotten to make room for new ones (not idle ones let go).
  uint64_t user_evictions() const noexcept {
    return users_.evictions();
  }

  uint64_t address_evictions() const noexcept {
    return addresses_.evictions();
  }

private:
  /// One key's recent failures (oldest first, only as many as can still
  /// change the wait) and the end of its current wait.
  struct history {
    std::vector<time_point> failures;
    time_point waits_until{};
  };

  std::chrono::nanoseconds wait_of(lru_map<history>& keys, std::string_view key,
                                   time_point now);

  void add_failure(lru_map<history>& keys, std::string_view key,
                   time_point now);

  void forget_old(history& h, time_point now) const;

  bool is_idle(const history& h, time_point now) const;

  /// The wait after the `count`th failure in the window.
  std::chrono::nanoseconds delay_after(size_t count) const;

  /// Updates the series after a change.
  void publish();

  login_backoff_options opts_;
  /// Failures beyond this many change nothing (the wait is at its cap).
  size_t max_counted_;
  lru_map<history> users_;
  lru_map<history> addresses_;
  login_backoff_metrics metrics_;
  uint64_t published_user_evictions_ = 0;
  uint64_t published_address_evictions_ = 0;
};

} // namespace bsm::security
