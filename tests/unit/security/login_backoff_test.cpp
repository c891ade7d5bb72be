#include "runtime/security/login_backoff.hpp"

#include <gtest/gtest.h>

#include <string>

#include "runtime/error.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::security::login_backoff;
using bsm::security::login_backoff_options;

const login_backoff::time_point t0 = login_backoff::time_point{} + 1000h;

// Three free failures, then 1 s, 2 s, 4 s, 8 s, capped at 10 s; failures
// are forgotten after a minute.
login_backoff_options options() {
  login_backoff_options result;
  result.free_failures = 3;
  result.first_delay = 1s;
  result.max_delay = 10s;
  result.forget_after = 60s;
  result.max_users = 100;
  result.max_addresses = 100;
  return result;
}

void fail(login_backoff& backoff, const std::string& user,
          const std::string& address, int n, login_backoff::time_point now) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(backoff.check(user, address, now).allowed) << "failure " << i;
    backoff.record_failure(user, address, now);
  }
}

TEST(LoginBackoff, FreeFailuresCostNothing) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 3, t0);
  EXPECT_TRUE(backoff.check("alice", "10.0.0.1", t0).allowed);
}

TEST(LoginBackoff, EachFurtherFailureDoublesTheWaitUpToTheCap) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 3, t0);
  auto now = t0;
  for (auto expected : {1s, 2s, 4s, 8s, 10s, 10s, 10s}) {
    backoff.record_failure("alice", "10.0.0.1", now);
    auto refused = backoff.check("alice", "10.0.0.1", now);
    ASSERT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, expected);
    now += expected;
    EXPECT_TRUE(backoff.check("alice", "10.0.0.1", now).allowed);
  }
}

TEST(LoginBackoff, RetryAfterCountsDownInWholeSecondsRoundedUp) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 3, t0);
  backoff.record_failure("alice", "10.0.0.1", t0);
  backoff.record_failure("alice", "10.0.0.1", t0);
  EXPECT_EQ(backoff.check("alice", "10.0.0.1", t0).retry_after, 2s);
  EXPECT_EQ(backoff.check("alice", "10.0.0.1", t0 + 1ms).retry_after, 2s);
  EXPECT_EQ(backoff.check("alice", "10.0.0.1", t0 + 1s).retry_after, 1s);
  EXPECT_EQ(backoff.check("alice", "10.0.0.1", t0 + 1999ms).retry_after, 1s);
  EXPECT_TRUE(backoff.check("alice", "10.0.0.1", t0 + 2s).allowed);
}

TEST(LoginBackoff, RefusedAttemptsDoNotExtendTheWait) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 4, t0);
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(backoff.check("alice", "10.0.0.1", t0 + 500ms).allowed);
  EXPECT_TRUE(backoff.check("alice", "10.0.0.1", t0 + 1s).allowed);
}

TEST(LoginBackoff, AnAttackerDelaysAUserButNeverLocksThemOut) {
  login_backoff backoff{options()};
  // An attacker guesses alice's password from many addresses, failing
  // whenever it is let in, for an hour.
  auto now = t0;
  for (int i = 0; now < t0 + 1h; ++i) {
    auto address = "10.0.1." + std::to_string(i % 200);
    auto decision = backoff.check("alice", address, now);
    if (decision.allowed) {
      backoff.record_failure("alice", address, now);
      continue;
    }
    // Never longer than the cap, so alice gets her turn within it.
    ASSERT_LE(decision.retry_after, 10s);
    now += 1s;
  }
  // Alice, from her own address, waits at most the cap and is let in.
  auto decision = backoff.check("alice", "192.168.1.5", now);
  if (!decision.allowed) {
    EXPECT_LE(decision.retry_after, 10s);
    now += decision.retry_after;
  }
  EXPECT_TRUE(backoff.check("alice", "192.168.1.5", now).allowed);
}

TEST(LoginBackoff, ASuccessClearsTheUserButNotTheAddress) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 4, t0);
  backoff.record_success("alice");
  // alice from another address goes ahead at once...
  EXPECT_TRUE(backoff.check("alice", "10.0.0.2", t0).allowed);
  // ...but the address that failed four times still waits.
  EXPECT_FALSE(backoff.check("alice", "10.0.0.1", t0).allowed);
  EXPECT_FALSE(backoff.check("bob", "10.0.0.1", t0).allowed);
}

TEST(LoginBackoff, TracksUsersAndAddressesSeparately) {
  login_backoff backoff{options()};
  // One address failing under many user names backs off as an address.
  for (int i = 0; i < 4; ++i)
    backoff.record_failure("user" + std::to_string(i), "10.0.0.9", t0);
  EXPECT_FALSE(backoff.check("user9", "10.0.0.9", t0).allowed);
  EXPECT_TRUE(backoff.check("user9", "10.0.0.10", t0).allowed);
  // One user failing from many addresses backs off as a user.
  for (int i = 0; i < 4; ++i)
    backoff.record_failure("carol", "10.0.2." + std::to_string(i), t0);
  EXPECT_FALSE(backoff.check("carol", "10.0.3.1", t0).allowed);
  EXPECT_TRUE(backoff.check("dave", "10.0.3.1", t0).allowed);
}

TEST(LoginBackoff, ForgetsFailuresOlderThanTheWindow) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 3, t0);
  // A minute later the three failures no longer count: three more are free.
  fail(backoff, "alice", "10.0.0.1", 3, t0 + 60s);
  EXPECT_TRUE(backoff.check("alice", "10.0.0.1", t0 + 60s).allowed);
  // Forty seconds on, the three at 60 s still count (the ones at 0 s do
  // not), so this failure is the fourth.
  backoff.record_failure("alice", "10.0.0.1", t0 + 100s);
  auto refused = backoff.check("alice", "10.0.0.1", t0 + 100s);
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 1s);
}

TEST(LoginBackoff, ForgetsIdleKeys) {
  login_backoff backoff{options()};
  fail(backoff, "alice", "10.0.0.1", 2, t0);
  EXPECT_EQ(backoff.tracked_users(), 1u);
  EXPECT_EQ(backoff.tracked_addresses(), 1u);
  EXPECT_TRUE(backoff.check("bob", "10.0.0.2", t0 + 60s).allowed);
  EXPECT_EQ(backoff.tracked_users(), 0u);
  EXPECT_EQ(backoff.tracked_addresses(), 0u);
}

TEST(LoginBackoff, NeverTracksMoreThanItsLimits) {
  auto opts = options();
  opts.max_users = 10;
  opts.max_addresses = 5;
  login_backoff backoff{opts};
  for (int i = 0; i < 1000; ++i) {
    backoff.record_failure(
      "user" + std::to_string(i),
      "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), t0);
    ASSERT_LE(backoff.tracked_users(), 10u);
    ASSERT_LE(backoff.tracked_addresses(), 5u);
  }
}

TEST(LoginBackoff, ShowsItsKeysAndEvictionsInItsSeries) {
  bsm::metrics::registry reg;
  auto m = bsm::security::login_backoff_metrics::make(reg);
  auto opts = options();
  opts.max_users = 2;
  opts.max_addresses = 1;
  login_backoff backoff{opts, m};
  backoff.record_failure("alice", "10.0.0.1", t0);
  backoff.record_failure("bob", "10.0.0.2", t0);
  backoff.record_failure("carol", "10.0.0.2", t0);
  EXPECT_EQ(m.users->value(), 2.0);
  EXPECT_EQ(m.addresses->value(), 1.0);
  EXPECT_EQ(m.user_evictions->value(), 1u);    // alice
  EXPECT_EQ(m.address_evictions->value(), 1u); // 10.0.0.1
  backoff.record_success("bob");
  EXPECT_EQ(m.users->value(), 1.0);
  EXPECT_EQ(m.user_evictions->value(), 1u); // a success is no eviction
}

TEST(LoginBackoff, IgnoresAnEmptyUserOrAddress) {
  login_backoff backoff{options()};
  fail(backoff, "", "10.0.0.1", 4, t0);
  EXPECT_EQ(backoff.tracked_users(), 0u);
  EXPECT_FALSE(backoff.check("", "10.0.0.1", t0).allowed);
  EXPECT_TRUE(backoff.check("", "", t0).allowed);
}

TEST(LoginBackoffOptions, RefuseValuesOutOfRange) {
  EXPECT_FALSE(bsm::security::validate(login_backoff_options{}));
  auto check = [](auto change) {
    auto opts = login_backoff_options{};
    change(opts);
    return bsm::is(bsm::security::validate(opts), bsm::errc::invalid_argument);
  };
  EXPECT_TRUE(check([](auto& o) { o.free_failures = 1001; }));
  EXPECT_TRUE(check([](auto& o) { o.first_delay = 0ms; }));
  EXPECT_TRUE(check([](auto& o) { o.max_delay = o.first_delay / 2; }));
  EXPECT_TRUE(check([](auto& o) { o.forget_after = o.max_delay - 1s; }));
  EXPECT_TRUE(check([](auto& o) { o.max_users = 0; }));
  EXPECT_TRUE(check([](auto& o) { o.max_addresses = 0; }));
}

} // namespace
