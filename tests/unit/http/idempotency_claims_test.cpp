// The claim rule of Idempotency-Keys in flight: one holder per key, a
// lease that ends it, releases only by the holder, a bound on claims.

#include "runtime/http/idempotency_claims.hpp"

#include <limits>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using bsm::http::idempotency_claims;
using outcome = idempotency_claims::outcome;

const idempotency_claims::time_point t0{};

TEST(IdempotencyClaims, AFirstClaimHoldsTheKeyAndASecondFindsItInFlight) {
  idempotency_claims claims;
  auto first = claims.claim("POST /v1/agents/a/chat\nk1", 10s, t0);
  EXPECT_EQ(first.what, outcome::claimed);
  EXPECT_NE(first.id, 0u);
  auto second = claims.claim("POST /v1/agents/a/chat\nk1", 10s, t0 + 1s);
  EXPECT_EQ(second.what, outcome::in_flight);
  // Another key, or the same key on another path, is free.
  EXPECT_EQ(claims.claim("POST /v1/agents/a/chat\nk2", 10s, t0).what,
            outcome::claimed);
  EXPECT_EQ(claims.claim("POST /v1/agents/b/chat\nk1", 10s, t0).what,
            outcome::claimed);
  EXPECT_EQ(claims.size(), 3u);
}

TEST(IdempotencyClaims, AReleasedKeyCanBeClaimedAgain) {
  idempotency_claims claims;
  auto first = claims.claim("s", 10s, t0);
  ASSERT_EQ(first.what, outcome::claimed);
  EXPECT_TRUE(claims.release("s", first.id));
  EXPECT_FALSE(claims.release("s", first.id)) << "released twice";
  auto again = claims.claim("s", 10s, t0 + 1s);
  EXPECT_EQ(again.what, outcome::claimed);
  EXPECT_NE(again.id, first.id);
  EXPECT_EQ(claims.size(), 1u);
}

TEST(IdempotencyClaims, AClaimEndsWithItsLease) {
  idempotency_claims claims;
  ASSERT_EQ(claims.claim("s", 10s, t0).what, outcome::claimed);
  EXPECT_EQ(claims.claim("s", 10s, t0 + 10s - 1ms).what, outcome::in_flight);
  EXPECT_EQ(claims.claim("s", 10s, t0 + 10s).what, outcome::claimed);
}

TEST(IdempotencyClaims, ALateReleaseOfAnExpiredClaimLeavesItsSuccessorAlone) {
  idempotency_claims claims;
  auto stale = claims.claim("s", 1s, t0);
  auto successor = claims.claim("s", 10s, t0 + 2s);
  ASSERT_EQ(successor.what, outcome::claimed);
  EXPECT_FALSE(claims.release("s", stale.id));
  EXPECT_EQ(claims.claim("s", 10s, t0 + 3s).what, outcome::in_flight);
  EXPECT_TRUE(claims.release("s", successor.id));
}

TEST(IdempotencyClaims, ALeaseIsCappedAtMaxLease) {
  bsm::http::idempotency_claims_options opts;
  opts.max_lease = 5s;
  idempotency_claims claims{opts};
  ASSERT_EQ(claims.claim("s", 24h, t0).what, outcome::claimed);
  EXPECT_EQ(claims.claim("s", 1s, t0 + 5s - 1ms).what, outcome::in_flight);
  EXPECT_EQ(claims.claim("s", 1s, t0 + 5s).what, outcome::claimed);
}

TEST(IdempotencyClaims, BeyondMaxClaimsNoneIsTakenUntilOneEnds) {
  bsm::http::idempotency_claims_options opts;
  opts.max_claims = 2;
  idempotency_claims claims{opts};
  auto a = claims.claim("a", 10s, t0);
  ASSERT_EQ(claims.claim("b", 20s, t0).what, outcome::claimed);
  EXPECT_EQ(claims.claim("c", 10s, t0).what, outcome::full);
  // A held key is still reported in flight, not full.
  EXPECT_EQ(claims.claim("a", 10s, t0).what, outcome::in_flight);
  ASSERT_TRUE(claims.release("a", a.id));
  EXPECT_EQ(claims.claim("c", 10s, t0).what, outcome::claimed);
  EXPECT_EQ(claims.claim("d", 10s, t0 + 1s).what, outcome::full);
  // Expired claims make room.
  EXPECT_EQ(claims.claim("d", 10s, t0 + 10s).what, outcome::claimed);
  EXPECT_EQ(claims.size(), 2u);
}

TEST(IdempotencyClaims, IdsStartWhereToldAndAreNeverZero) {
  idempotency_claims claims{{}, std::numeric_limits<uint64_t>::max()};
  EXPECT_EQ(claims.claim("a", 10s, t0).id,
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(claims.claim("b", 10s, t0).id, 1u);
}

} // namespace
