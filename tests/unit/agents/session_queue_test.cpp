#include "agents/session_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bsm::agents::session_queue;

// Starts every turn `release` hands back, as the agent actor does, and
// returns them in the order they started.
std::vector<int> drain(session_queue<int>& queue, const std::string& session) {
  std::vector<int> started;
  while (auto next = queue.release(session))
    started.push_back(*next);
  return started;
}

TEST(SessionQueue, OneTurnAtATimePerSessionInArrivalOrder) {
  session_queue<int> queue{8};
  EXPECT_TRUE(queue.try_start("s"));
  EXPECT_TRUE(queue.busy("s"));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_FALSE(queue.try_start("s"));
    queue.enqueue("s", i);
  }
  EXPECT_EQ(queue.waiting("s"), 3u);
  auto next = queue.release("s");
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 1);
  // The session stays busy for the turn handed back.
  EXPECT_TRUE(queue.busy("s"));
  EXPECT_FALSE(queue.try_start("s"));
  EXPECT_EQ(drain(queue, "s"), (std::vector<int>{2, 3}));
  EXPECT_FALSE(queue.busy("s"));
  EXPECT_TRUE(queue.try_start("s"));
}

TEST(SessionQueue, SessionsDoNotWaitForEachOther) {
  session_queue<int> queue{8};
  EXPECT_TRUE(queue.try_start("a"));
  EXPECT_TRUE(queue.try_start("b"));
  ASSERT_FALSE(queue.try_start("a"));
  queue.enqueue("a", 1);
  EXPECT_FALSE(queue.release("b"));
  EXPECT_FALSE(queue.busy("b"));
  EXPECT_TRUE(queue.busy("a"));
  EXPECT_EQ(queue.waiting("a"), 1u);
}

TEST(SessionQueue, TurnsWithoutASessionNeverWait) {
  session_queue<int> queue{1};
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(queue.try_start(""));
  EXPECT_FALSE(queue.busy(""));
  EXPECT_FALSE(queue.release(""));
}

TEST(SessionQueue, ASessionHasAtMostMaxWaitingTurnsWaiting) {
  session_queue<int> queue{2};
  ASSERT_TRUE(queue.try_start("s"));
  EXPECT_FALSE(queue.full("s"));
  queue.enqueue("s", 1);
  EXPECT_FALSE(queue.full("s"));
  queue.enqueue("s", 2);
  EXPECT_TRUE(queue.full("s"));
  // Other sessions have their own bound.
  ASSERT_TRUE(queue.try_start("t"));
  EXPECT_FALSE(queue.full("t"));
  // A turn ending makes room for one more.
  ASSERT_EQ(queue.release("s"), 1);
  EXPECT_FALSE(queue.full("s"));
  queue.enqueue("s", 3);
  EXPECT_TRUE(queue.full("s"));
  EXPECT_EQ(drain(queue, "s"), (std::vector<int>{2, 3}));
}

TEST(SessionQueue, AWaitingTurnCanBeRemovedAndTheOthersKeepTheirOrder) {
  session_queue<int> queue{4};
  ASSERT_TRUE(queue.try_start("s"));
  queue.enqueue("s", 1);
  queue.enqueue("s", 2);
  queue.enqueue("s", 3);
  ASSERT_TRUE(queue.try_start("t"));
  queue.enqueue("t", 4);
  EXPECT_EQ(queue.remove_waiting([](int x) { return x == 2; }), 2);
  EXPECT_EQ(queue.remove_waiting([](int x) { return x == 4; }), 4);
  EXPECT_FALSE(queue.remove_waiting([](int x) { return x == 2; }));
  EXPECT_EQ(queue.waiting("t"), 0u);
  // The running turns still hold their sessions.
  EXPECT_TRUE(queue.busy("s"));
  EXPECT_TRUE(queue.busy("t"));
  EXPECT_FALSE(queue.release("t"));
  EXPECT_EQ(drain(queue, "s"), (std::vector<int>{1, 3}));
}

} // namespace
