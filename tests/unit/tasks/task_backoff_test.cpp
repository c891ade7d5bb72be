#include "tasks/task_backoff.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using bsm::tasks::backoff_delay;
using bsm::tasks::backoff_policy;

auto fixed(double x) {
  return [x] {
    return x;
  };
}

TEST(TaskBackoff, DoublesFromTheInitialWaitUpToTheCap) {
  backoff_policy p{100ms, 1'000ms};
  EXPECT_EQ(backoff_delay(p, 1, fixed(0.999999)), 99ms);
  EXPECT_EQ(backoff_delay(p, 2, fixed(0.999999)), 199ms);
  EXPECT_EQ(backoff_delay(p, 3, fixed(0.999999)), 399ms);
  EXPECT_EQ(backoff_delay(p, 5, fixed(0.999999)), 999ms);
  EXPECT_EQ(backoff_delay(p, 60, fixed(0.999999)), 999ms);
}

TEST(TaskBackoff, JitterKeepsHalfToAllOfTheWait) {
  backoff_policy p{100ms, 1'000ms};
  EXPECT_EQ(backoff_delay(p, 1, fixed(0.0)), 50ms);
  EXPECT_EQ(backoff_delay(p, 3, fixed(0.0)), 200ms);
  EXPECT_EQ(backoff_delay(p, 3, fixed(0.5)), 300ms);
  auto random = bsm::tasks::default_random_source();
  for (uint32_t failed = 1; failed < 40; ++failed) {
    auto wait = backoff_delay(p, failed, random);
    EXPECT_GE(wait, 50ms);
    EXPECT_LE(wait, 1'000ms);
  }
}

TEST(TaskBackoff, AnOutOfRangeRandomSourceIsClamped) {
  backoff_policy p{100ms, 100ms};
  EXPECT_EQ(backoff_delay(p, 1, fixed(7.0)), 100ms);
  EXPECT_EQ(backoff_delay(p, 1, fixed(-3.0)), 50ms);
}

} // namespace
