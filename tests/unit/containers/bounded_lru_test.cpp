#include "runtime/containers/bounded_lru.hpp"

#include <string>

#include <gtest/gtest.h>

namespace bsm {
namespace {

TEST(BoundedLru, EvictsTheLeastRecentlyUsedAtTheEntryBound) {
  bounded_lru<int> map{2};
  map.put("a", 1);
  map.put("b", 2);
  ASSERT_NE(map.find("a"), nullptr); // "b" is now the oldest
  map.put("c", 3);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.evictions(), 1u);
  EXPECT_EQ(map.find("b"), nullptr);
  ASSERT_NE(map.find("a"), nullptr);
  EXPECT_EQ(*map.find("a"), 1);
  EXPECT_EQ(*map.find("c"), 3);
}

TEST(BoundedLru, PeekDoesNotChangeTheOrder) {
  bounded_lru<int> map{2};
  map.put("a", 1);
  map.put("b", 2);
  ASSERT_NE(map.peek("a"), nullptr);
  map.put("c", 3);
  EXPECT_EQ(map.peek("a"), nullptr);
  EXPECT_NE(map.peek("b"), nullptr);
}

TEST(BoundedLru, PutReplacesWithoutEvicting) {
  bounded_lru<int> map{2};
  map.put("a", 1);
  map.put("b", 2);
  map.put("a", 10);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.evictions(), 0u);
  EXPECT_EQ(*map.find("a"), 10);
}

TEST(BoundedLru, EvictsOldestEntriesAtTheByteBound) {
  auto one = bounded_lru<int>::entry_overhead + 1 + 100;
  bounded_lru<int> map{100, 2 * one};
  map.put("a", 1, 100);
  map.put("b", 2, 100);
  EXPECT_EQ(map.bytes(), 2 * one);
  map.put("c", 3, 100);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.bytes(), 2 * one);
  EXPECT_EQ(map.evictions(), 1u);
  EXPECT_EQ(map.peek("a"), nullptr);
  // Growing an entry in place evicts others, never the entry itself.
  map.put("c", 3, 10 * one);
  EXPECT_EQ(map.size(), 1u);
  EXPECT_NE(map.peek("c"), nullptr);
}

TEST(BoundedLru, EraseAndIdleErasureAreNotEvictions) {
  bounded_lru<int> map{4};
  map.put("a", 0);
  map.put("b", 0);
  map.put("c", 5);
  EXPECT_TRUE(map.erase("c"));
  EXPECT_FALSE(map.erase("c"));
  map.put("d", 7);
  map.erase_idle_oldest([](int x) { return x == 0; });
  EXPECT_EQ(map.size(), 1u);
  EXPECT_NE(map.peek("d"), nullptr);
  EXPECT_EQ(map.evictions(), 0u);
  EXPECT_EQ(map.bytes(), bounded_lru<int>::entry_overhead + 1);
}

TEST(BoundedLru, TouchCreatesADefaultEntry) {
  bounded_lru<std::string> map{1};
  map.touch("a") = "x";
  EXPECT_EQ(*map.find("a"), "x");
  map.touch("b");
  EXPECT_EQ(map.peek("a"), nullptr);
  EXPECT_EQ(*map.peek("b"), "");
  EXPECT_EQ(map.evictions(), 1u);
}

TEST(BoundedLru, ManyKeysStayWithinTheBound) {
  bounded_lru<int> map{16};
  for (int i = 0; i < 1000; ++i)
    map.put(std::to_string(i), i);
  EXPECT_EQ(map.size(), 16u);
  EXPECT_EQ(map.evictions(), 1000u - 16u);
  for (int i = 1000 - 16; i < 1000; ++i)
    EXPECT_EQ(*map.peek(std::to_string(i)), i);
}

TEST(BoundedLru, MovedMapKeepsItsEntries) {
  bounded_lru<int> map{4};
  map.put("a", 1);
  auto moved = std::move(map);
  EXPECT_EQ(*moved.find("a"), 1);
  moved.put("b", 2);
  EXPECT_EQ(moved.size(), 2u);
}

} // namespace
} // namespace bsm
