#include "runtime/security/concurrency_limiter.hpp"

#include <gtest/gtest.h>

namespace bsm::security {
namespace {

TEST(ConcurrencyLimiterTest, RefusesTheSlotOverTheLimit) {
  auto limiter = concurrency_limiter::make(2);
  auto a = limiter->try_acquire("alice");
  auto b = limiter->try_acquire("alice");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(limiter->in_use("alice"), 2u);
  EXPECT_FALSE(limiter->try_acquire("alice"));
}

TEST(ConcurrencyLimiterTest, KeysAreIndependent) {
  auto limiter = concurrency_limiter::make(1);
  auto a = limiter->try_acquire("alice");
  ASSERT_TRUE(a);
  EXPECT_FALSE(limiter->try_acquire("alice"));
  EXPECT_TRUE(limiter->try_acquire("bob"));
}

TEST(ConcurrencyLimiterTest, TheLastCopyOfAHandleGivesTheSlotBack) {
  auto limiter = concurrency_limiter::make(1);
  auto a = limiter->try_acquire("alice");
  auto copy = a;
  a.reset();
  EXPECT_FALSE(limiter->try_acquire("alice"));
  copy.reset();
  EXPECT_EQ(limiter->in_use("alice"), 0u);
  EXPECT_TRUE(limiter->try_acquire("alice"));
}

TEST(ConcurrencyLimiterTest, ZeroIsUnlimited) {
  auto limiter = concurrency_limiter::make(0);
  std::vector<std::shared_ptr<void>> held;
  for (int i = 0; i < 100; ++i) {
    held.push_back(limiter->try_acquire("alice"));
    ASSERT_TRUE(held.back());
  }
}

TEST(ConcurrencyLimiterTest, AHandleOutlivesItsLimiter) {
  std::shared_ptr<void> slot;
  {
    auto limiter = concurrency_limiter::make(1);
    slot = limiter->try_acquire("alice");
  }
  slot.reset(); // must not touch freed memory (ASan would say)
  SUCCEED();
}

} // namespace
} // namespace bsm::security
