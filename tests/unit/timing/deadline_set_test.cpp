// The deadlines of an actor's requests and its one timer, without an actor:
// which add needs a timer, what a timer finds expired, what is armed next.

#include "runtime/timing/deadline_set.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bsm::timing::deadline_set;
using ids = std::vector<uint64_t>;

const deadline_set::time_point t0{};

TEST(DeadlineSet, OnlyTheFirstOfLaterDeadlinesArmsTheTimer) {
  deadline_set set;
  EXPECT_TRUE(set.add(1, t0 + 100ms));
  for (uint64_t id = 2; id < 1000; ++id)
    EXPECT_FALSE(set.add(id, t0 + 100ms + std::chrono::milliseconds{id}));
  EXPECT_EQ(set.size(), 999u);
  EXPECT_EQ(set.armed(), 1u);
}

TEST(DeadlineSet, AnEarlierDeadlineArmsAnEarlierTimer) {
  deadline_set set;
  EXPECT_TRUE(set.add(1, t0 + 100ms));
  EXPECT_TRUE(set.add(2, t0 + 50ms));
  EXPECT_FALSE(set.add(3, t0 + 50ms));
  EXPECT_EQ(set.armed(), 2u);
  EXPECT_EQ(set.next(), t0 + 50ms);
}

TEST(DeadlineSet, ATimerFindsWhatIsDueEarliestFirst) {
  deadline_set set;
  (void)set.add(3, t0 + 30ms);
  (void)set.add(1, t0 + 10ms);
  (void)set.add(2, t0 + 20ms);
  (void)set.add(4, t0 + 40ms);
  EXPECT_EQ(set.expired(t0 + 30ms), (ids{1, 2, 3}));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.next(), t0 + 40ms);
  EXPECT_FALSE(set.remove(2)) << "expired is no longer pending";
}

TEST(DeadlineSet, AnAnsweredRequestNeverExpires) {
  deadline_set set;
  (void)set.add(1, t0 + 10ms);
  (void)set.add(2, t0 + 10ms);
  EXPECT_TRUE(set.remove(1));
  EXPECT_FALSE(set.remove(1));
  EXPECT_EQ(set.expired(t0 + 10ms), (ids{2}));
  EXPECT_TRUE(set.expired(t0 + 1s).empty());
}

TEST(DeadlineSet, AfterATimerTheNextOneIsArmedForTheEarliestLeft) {
  deadline_set set;
  EXPECT_TRUE(set.add(1, t0 + 10ms));
  EXPECT_FALSE(set.add(2, t0 + 20ms));
  EXPECT_EQ(set.expired(t0 + 10ms), (ids{1}));
  EXPECT_EQ(set.armed(), 0u);
  EXPECT_EQ(set.rearm(), t0 + 20ms);
  EXPECT_EQ(set.armed(), 1u);
  EXPECT_EQ(set.rearm(), std::nullopt) << "armed already";
}

TEST(DeadlineSet, NothingIsArmedWhenNothingIsPending) {
  deadline_set set;
  EXPECT_TRUE(set.add(1, t0 + 10ms));
  EXPECT_TRUE(set.remove(1));
  EXPECT_TRUE(set.expired(t0 + 10ms).empty());
  EXPECT_EQ(set.rearm(), std::nullopt);
  EXPECT_EQ(set.armed(), 0u);
  EXPECT_EQ(set.next(), std::nullopt);
}

TEST(DeadlineSet, AStaleTimerStillLeavesOneArmedForTheRest) {
  deadline_set set;
  EXPECT_TRUE(set.add(1, t0 + 100ms));
  EXPECT_TRUE(set.add(2, t0 + 10ms)); // earlier: a second timer
  EXPECT_TRUE(set.remove(2));
  // The timer for 10 ms fires with nothing due; the one for 100 ms stays.
  EXPECT_TRUE(set.expired(t0 + 10ms).empty());
  EXPECT_EQ(set.rearm(), std::nullopt);
  EXPECT_EQ(set.armed(), 1u);
  EXPECT_EQ(set.expired(t0 + 100ms), (ids{1}));
  EXPECT_EQ(set.armed(), 0u);
}

TEST(DeadlineSet, AddingAnIdAgainMovesItsDeadline) {
  deadline_set set;
  (void)set.add(1, t0 + 10ms);
  (void)set.add(1, t0 + 50ms);
  EXPECT_EQ(set.size(), 1u);
  EXPECT_TRUE(set.expired(t0 + 10ms).empty());
  EXPECT_EQ(set.expired(t0 + 50ms), (ids{1}));
}

} // namespace
