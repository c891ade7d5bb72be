#include "actors/session_cache.hpp"

#include <gtest/gtest.h>

namespace {

using bsm::session_cache;

bsm::v1::SessionTurn turn(uint64_t seq, std::string content = "text") {
  bsm::v1::SessionTurn t;
  t.set_seq(seq);
  t.set_role(seq % 2 ? "user" : "assistant");
  t.set_content(std::move(content));
  return t;
}

std::vector<bsm::v1::SessionTurn> turns(uint64_t first, uint64_t last) {
  std::vector<bsm::v1::SessionTurn> result;
  for (auto i = first; i <= last; ++i)
    result.push_back(turn(i));
  return result;
}

std::vector<uint64_t> seqs(const bsm::v1::SessionReadResponse& r) {
  std::vector<uint64_t> result;
  for (const auto& t : r.turns())
    result.push_back(t.seq());
  return result;
}

class SessionCache : public ::testing::Test {
protected:
  session_cache make(size_t sessions, size_t turns_each, size_t bytes) {
    return session_cache{{sessions, turns_each, bytes}, metrics};
  }

  bsm::metrics::registry reg;
  bsm::session_cache_metrics metrics = bsm::session_cache_metrics::make(reg);
};

TEST_F(SessionCache, AnswersTheNewestTurnsOfAFilledSession) {
  auto cache = make(4, 10, 1 << 20);
  cache.fill("s", turns(1, 3), false);
  auto two = cache.newest("s", 2);
  ASSERT_TRUE(two);
  EXPECT_EQ(seqs(*two), (std::vector<uint64_t>{2, 3}));
  EXPECT_TRUE(two->more());
  // The whole session is held: more turns than it has are known too.
  auto all = cache.newest("s", 20);
  ASSERT_TRUE(all);
  EXPECT_EQ(seqs(*all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(all->more());
  EXPECT_EQ(metrics.hits->value(), 2u);
  EXPECT_EQ(metrics.misses->value(), 0u);
}

TEST_F(SessionCache, MissesWhenOlderTurnsMatterOrTheSessionIsNotHeld) {
  auto cache = make(4, 10, 1 << 20);
  EXPECT_FALSE(cache.newest("s", 2));
  // Two held, older ones in the store: a read of three must go there.
  cache.fill("s", turns(5, 6), true);
  EXPECT_FALSE(cache.newest("s", 3));
  auto two = cache.newest("s", 2);
  ASSERT_TRUE(two);
  EXPECT_TRUE(two->more());
  EXPECT_EQ(metrics.misses->value(), 2u);
  EXPECT_EQ(metrics.hits->value(), 1u);
}

TEST_F(SessionCache, AHitAfterAnAppendHoldsTheNewTurns) {
  auto cache = make(4, 3, 1 << 20);
  cache.fill("s", turns(1, 2), false);
  cache.appended("s", turns(3, 4));
  // Three per session: turn 1 dropped, so older turns now exist.
  auto held = cache.newest("s", 3);
  ASSERT_TRUE(held);
  EXPECT_EQ(seqs(*held), (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_TRUE(held->more());
  EXPECT_FALSE(cache.newest("s", 4));
  // A session not held stays so: its older turns are unknown.
  cache.appended("other", turns(1, 1));
  EXPECT_FALSE(cache.newest("other", 1));
  EXPECT_EQ(cache.sessions(), 1u);
}

TEST_F(SessionCache, EvictsTheLeastRecentlyUsedSessionAtTheBound) {
  auto cache = make(2, 10, 1 << 20);
  cache.fill("a", turns(1, 1), false);
  cache.fill("b", turns(1, 1), false);
  ASSERT_TRUE(cache.newest("a", 1)); // a is now the most recent
  cache.fill("c", turns(1, 1), false);
  EXPECT_EQ(cache.sessions(), 2u);
  EXPECT_TRUE(cache.newest("a", 1));
  EXPECT_TRUE(cache.newest("c", 1));
  EXPECT_FALSE(cache.newest("b", 1));
  EXPECT_EQ(metrics.evictions->value(), 1u);
  EXPECT_EQ(metrics.sessions->value(), 2.0);
}

TEST_F(SessionCache, KeepsItsByteBound) {
  auto big = std::string(1000, 'x');
  auto one = session_cache::cost(turn(1, big));
  // Room for about three such turns.
  auto cache = make(100, 10, 3 * one + 1024);
  for (auto name : {"a", "b", "c", "d"})
    cache.fill(name, {turn(1, big)}, false);
  EXPECT_LE(cache.bytes(), 3 * one + 1024);
  EXPECT_FALSE(cache.newest("a", 1));
  EXPECT_TRUE(cache.newest("d", 1));
  EXPECT_GE(metrics.evictions->value(), 1u);
  EXPECT_EQ(metrics.bytes->value(), static_cast<double>(cache.bytes()));
  cache.invalidate("d");
  EXPECT_FALSE(cache.newest("d", 1));
}

TEST_F(SessionCache, ABoundOfZeroHoldsNothing) {
  auto cache = make(0, 10, 1 << 20);
  EXPECT_FALSE(cache.enabled());
  cache.fill("s", turns(1, 2), false);
  EXPECT_EQ(cache.sessions(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

} // namespace
