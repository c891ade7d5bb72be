#include "runtime/security/verified_tokens.hpp"

#include <gtest/gtest.h>

namespace bsm::security {
namespace {

verified_tokens::entry entry_for(const std::string& name, int64_t exp) {
  auto who = std::make_shared<principal>();
  who->name = name;
  verified_tokens::entry x;
  x.who = std::move(who);
  x.window.exp = exp;
  return x;
}

TEST(VerifiedTokens, FindsOnlyTheExactToken) {
  verified_tokens cache{4};
  cache.put("aaa.bbb.ccc", entry_for("alice", 100));
  auto hit = cache.find("aaa.bbb.ccc");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->who->name, "alice");
  EXPECT_EQ(hit->window.exp, 100);
  EXPECT_FALSE(cache.find("aaa.bbb.ccd"));
  EXPECT_FALSE(cache.find("aaa.bbb.cc"));
}

TEST(VerifiedTokens, EvictsTheLeastRecentlyUsedWhenFull) {
  verified_tokens cache{2};
  cache.put("one", entry_for("1", 1));
  cache.put("two", entry_for("2", 2));
  ASSERT_TRUE(cache.find("one")); // "two" is now the oldest
  cache.put("three", entry_for("3", 3));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_TRUE(cache.find("one"));
  EXPECT_FALSE(cache.find("two"));
  EXPECT_TRUE(cache.find("three"));
}

TEST(VerifiedTokens, PutReplacesAndEraseForgets) {
  verified_tokens cache{2};
  cache.put("t", entry_for("old", 1));
  cache.put("t", entry_for("new", 2));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("t")->who->name, "new");
  cache.erase("t");
  cache.erase("t");
  EXPECT_FALSE(cache.find("t"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifiedTokens, KeepsNoTokenLongerThanTheBound) {
  verified_tokens cache{2};
  std::string long_token(verified_tokens::max_token_bytes + 1, 'x');
  cache.put(long_token, entry_for("big", 1));
  EXPECT_FALSE(cache.find(long_token));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifiedTokensSeries, ShowsTheCacheInForceAndCountsOnAcrossReplacements) {
  metrics::registry reg;
  verified_tokens_series series{reg};
  auto text = [&reg] {
    return reg.to_text();
  };
  series.publish(nullptr);
  auto first = std::make_shared<verified_tokens>(1);
  first->put("one", entry_for("1", 1));
  first->put("two", entry_for("2", 2));
  series.publish(first);
  EXPECT_NE(text().find("bsm_auth_verified_tokens 1\n"), std::string::npos);
  EXPECT_NE(text().find("bsm_auth_verified_tokens_evictions_total 1\n"),
            std::string::npos);
  // Credentials changed: a new authenticator with an empty cache.
  auto second = std::make_shared<verified_tokens>(1);
  second->put("three", entry_for("3", 3));
  second->put("four", entry_for("4", 4));
  series.publish(second);
  series.publish(second);
  EXPECT_NE(text().find("bsm_auth_verified_tokens_evictions_total 2\n"),
            std::string::npos)
    << text();
}

} // namespace
} // namespace bsm::security
