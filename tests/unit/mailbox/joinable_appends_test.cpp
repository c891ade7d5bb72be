#include "runtime/mailbox/joinable_appends.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using bsm::mailbox::joinable_appends;

TEST(JoinableAppends, AppendsJoinUntilTheWriterTakesThem) {
  joinable_appends<std::string> open{8};
  std::string a = "a";
  std::string b = "b";
  EXPECT_TRUE(open.join(a));
  EXPECT_TRUE(open.join(b));
  EXPECT_EQ(open.take(), (std::vector<std::string>{"a", "b"}));
  std::string late = "late";
  EXPECT_FALSE(open.join(late));
  EXPECT_EQ(late, "late"); // left to open the next submission with
}

TEST(JoinableAppends, AFullSubmissionRefusesTheNextAppend) {
  joinable_appends<std::unique_ptr<int>> open{2};
  auto one = std::make_unique<int>(1);
  auto two = std::make_unique<int>(2);
  auto three = std::make_unique<int>(3);
  EXPECT_TRUE(open.join(one));
  EXPECT_TRUE(open.join(two));
  EXPECT_FALSE(open.join(three));
  ASSERT_NE(three, nullptr);
  auto taken = open.take();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(*taken[0], 1);
  EXPECT_EQ(*taken[1], 2);
}

TEST(JoinableAppends, NothingJoinedTakesNothing) {
  joinable_appends<int> open{4};
  EXPECT_TRUE(open.take().empty());
  int x = 1;
  EXPECT_FALSE(open.join(x));
}

} // namespace
