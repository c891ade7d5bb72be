#include "runtime/security/token_bucket.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "runtime/error.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::security::token_bucket;
using bsm::security::token_bucket_options;

// A fixed start for the fake clock; the limiter only sees differences.
const token_bucket::time_point t0 = token_bucket::time_point{} + 1000h;

token_bucket_options options(double rate, uint32_t burst,
                             size_t max_keys = 100) {
  token_bucket_options result;
  result.rate_per_second = rate;
  result.burst = burst;
  result.max_keys = max_keys;
  return result;
}

// Takes `n` tokens from `key` at `now`, expecting each to be granted.
void take(token_bucket& limiter, const std::string& key, int n,
          token_bucket::time_point now) {
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(limiter.check(key, now).allowed) << key << " request " << i;
}

TEST(TokenBucket, AllowsABurstThenRefuses) {
  token_bucket limiter{options(1, 5)};
  take(limiter, "alice", 5, t0);
  auto refused = limiter.check("alice", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 1s);
}

TEST(TokenBucket, RefillsAtTheRate) {
  token_bucket limiter{options(2, 4)};
  take(limiter, "alice", 4, t0);
  EXPECT_FALSE(limiter.check("alice", t0 + 499ms).allowed);
  // One token every 500 ms.
  EXPECT_TRUE(limiter.check("alice", t0 + 500ms).allowed);
  EXPECT_FALSE(limiter.check("alice", t0 + 500ms).allowed);
  // Two seconds refill the whole bucket, and not more than that.
  take(limiter, "alice", 4, t0 + 10s);
  EXPECT_FALSE(limiter.check("alice", t0 + 10s).allowed);
}

TEST(TokenBucket, RetryAfterIsTheWaitRoundedUpToWholeSeconds) {
  // One token every 4 seconds.
  token_bucket limiter{options(0.25, 1)};
  take(limiter, "alice", 1, t0);
  EXPECT_EQ(limiter.check("alice", t0).retry_after, 4s);
  EXPECT_EQ(limiter.check("alice", t0 + 1ms).retry_after, 4s);
  EXPECT_EQ(limiter.check("alice", t0 + 1s).retry_after, 3s);
  EXPECT_EQ(limiter.check("alice", t0 + 2500ms).retry_after, 2s);
  // Less than a second left is still "1", never "0".
  EXPECT_EQ(limiter.check("alice", t0 + 3999ms).retry_after, 1s);
  auto granted = limiter.check("alice", t0 + 4s);
  EXPECT_TRUE(granted.allowed);
  EXPECT_EQ(granted.retry_after, 0s);
}

TEST(TokenBucket, RefusedRequestsTakeNoToken) {
  token_bucket limiter{options(1, 1)};
  take(limiter, "alice", 1, t0);
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(limiter.check("alice", t0 + 500ms).allowed);
  EXPECT_TRUE(limiter.check("alice", t0 + 1s).allowed);
}

TEST(TokenBucket, LimitsANoisyKeyWhileServingAnother) {
  token_bucket limiter{options(1, 3)};
  int noisy_granted = 0;
  for (int i = 0; i < 1000; ++i)
    noisy_granted += limiter.check("10.0.0.66", t0).allowed ? 1 : 0;
  EXPECT_EQ(noisy_granted, 3);
  take(limiter, "10.0.0.7", 3, t0);
  EXPECT_FALSE(limiter.check("10.0.0.7", t0).allowed);
}

TEST(TokenBucket, RateZeroIsUnlimitedAndTracksNothing) {
  token_bucket limiter{options(0, 0)};
  take(limiter, "alice", 10'000, t0);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(TokenBucket, ForgetsAKeyOnceItsBucketIsFullAgain) {
  token_bucket limiter{options(1, 2)};
  take(limiter, "alice", 2, t0);
  take(limiter, "bob", 1, t0);
  EXPECT_EQ(limiter.size(), 2u);
  // Both buckets are full after 2 s; the next use sweeps them.
  take(limiter, "carol", 1, t0 + 2s);
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(TokenBucket, NeverTracksMoreThanMaxKeys) {
  token_bucket limiter{options(1, 1, 10)};
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.check("key-" + std::to_string(i), t0).allowed);
    EXPECT_LE(limiter.size(), 10u);
  }
  EXPECT_EQ(limiter.size(), 10u);
  EXPECT_EQ(limiter.evictions(), 990u);
}

TEST(TokenBucket, EvictsTheLeastRecentlyUsedKeyWhenFull) {
  token_bucket limiter{options(1, 1, 2)};
  take(limiter, "old", 1, t0);
  take(limiter, "recent", 1, t0 + 100ms);
  EXPECT_FALSE(limiter.check("old", t0 + 200ms).allowed);
  EXPECT_FALSE(limiter.check("recent", t0 + 300ms).allowed);
  // "old" was used before "recent": a third key pushes it out, and it
  // starts over with a full bucket (eviction fails open).
  take(limiter, "new", 1, t0 + 400ms);
  EXPECT_FALSE(limiter.check("recent", t0 + 400ms).allowed);
  EXPECT_EQ(limiter.evictions(), 1u);
  EXPECT_TRUE(limiter.check("old", t0 + 400ms).allowed);
}

TEST(TokenBucket, LongKeysShareTheirFirstBytes) {
  token_bucket limiter{options(1, 1)};
  std::string prefix(bsm::security::lru_map<int>::max_key_bytes, 'x');
  take(limiter, prefix + "a", 1, t0);
  EXPECT_FALSE(limiter.check(prefix + "b", t0).allowed);
  EXPECT_TRUE(limiter.check(prefix.substr(1), t0).allowed);
}

TEST(TokenBucketOptions, RefuseValuesOutOfRange) {
  EXPECT_FALSE(bsm::security::validate(options(10, 20)));
  EXPECT_FALSE(bsm::security::validate(options(0, 0)));
  EXPECT_TRUE(bsm::is(bsm::security::validate(options(-1, 20)),
                      bsm::errc::invalid_argument));
  EXPECT_TRUE(bsm::security::validate(options(0.0001, 20)));
  EXPECT_TRUE(bsm::security::validate(options(1e7, 20)));
  EXPECT_TRUE(bsm::security::validate(options(1, 0)));
  EXPECT_TRUE(bsm::security::validate(options(1, 2'000'000)));
  EXPECT_TRUE(bsm::security::validate(options(1, 1, 0)));
  EXPECT_TRUE(bsm::security::validate(
    options(std::numeric_limits<double>::quiet_NaN(), 1)));
}

} // namespace
