// The cluster port's asks on a graceful stop: refused once closed, and the
// wait over when the last ask admitted before is finished.

#include "runtime/cluster/ask_drain.hpp"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::cluster::ask_drain;

TEST(AskDrain, AsksAreAdmittedAndFinishedFreelyUntilClosed) {
  ask_drain asks;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(asks.admit());
  for (int i = 0; i < 3; ++i)
    asks.finish();
  EXPECT_EQ(asks.in_flight(), 0u);
  EXPECT_EQ(asks.wait(0ms), 0u);
}

TEST(AskDrain, OnceClosedNoAskIsAdmittedNorCounted) {
  ask_drain asks;
  ASSERT_TRUE(asks.admit());
  asks.close();
  EXPECT_FALSE(asks.admit());
  EXPECT_EQ(asks.in_flight(), 1u);
  // Nothing finished it: the wait ends at its timeout and says so.
  EXPECT_EQ(asks.wait(0ms), 1u);
}

TEST(AskDrain, TheWaitEndsWhenTheLastAskAdmittedBeforeIsFinished) {
  ask_drain asks;
  ASSERT_TRUE(asks.admit());
  ASSERT_TRUE(asks.admit());
  asks.close();
  size_t left = 99;
  std::thread waiter{[&] {
    left = asks.wait(bsm::test::generous_deadline);
  }};
  asks.finish();
  asks.finish();
  waiter.join();
  EXPECT_EQ(left, 0u);
}

TEST(AskDrain, AFinishWithoutAnAdmittedAskCountsNothing) {
  ask_drain asks;
  asks.finish();
  EXPECT_EQ(asks.in_flight(), 0u);
  ASSERT_TRUE(asks.admit());
  EXPECT_EQ(asks.in_flight(), 1u);
}

} // namespace
