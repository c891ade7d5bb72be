// The hand-over of finished appends from the writer thread to a mailbox:
// only the first push after a take asks for a message, and a take returns
// everything in push order.

#include "runtime/mailbox/committed_appends.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "runtime/error.hpp"

namespace {

using bsm::mailbox::committed_append;
using bsm::mailbox::committed_appends;

std::vector<uint64_t> seqs_of(const std::vector<committed_append>& xs) {
  std::vector<uint64_t> result;
  for (const auto& x : xs)
    result.push_back(x.seq);
  return result;
}

TEST(CommittedAppends, OnlyThePushIntoAnEmptyListAsksForATake) {
  committed_appends list;
  EXPECT_TRUE(list.push({1, {}, {}}));
  EXPECT_FALSE(list.push({2, {}, {}}));
  EXPECT_FALSE(list.push({3, {}, {}}));
  EXPECT_EQ(seqs_of(list.take()), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(list.take().empty());
  EXPECT_TRUE(list.push({4, {}, {}}));
}

TEST(CommittedAppends, ASubmissionsAppendsArePushedAtOnceInOrder) {
  committed_appends list;
  std::vector<committed_append> none;
  EXPECT_FALSE(list.push_all(std::move(none)));
  std::vector<committed_append> first{{1, {}, {}}, {2, {}, {}}};
  EXPECT_TRUE(list.push_all(std::move(first)));
  std::vector<committed_append> second{{3, {}, {}}};
  EXPECT_FALSE(list.push_all(std::move(second)));
  EXPECT_FALSE(list.push({4, {}, {}}));
  EXPECT_EQ(seqs_of(list.take()), (std::vector<uint64_t>{1, 2, 3, 4}));
  std::vector<committed_append> third{{5, {}, {}}};
  EXPECT_TRUE(list.push_all(std::move(third)));
}

TEST(CommittedAppends, KeepsErrorsAndDuplicateAnswers) {
  committed_appends list;
  bsm::v1::SendResponse original;
  original.set_message_id("m");
  original.set_seq(7);
  original.set_duplicate(true);
  list.push({1, bsm::make_error(bsm::errc::unavailable, "disk"), {}});
  list.push({2, {}, original});
  auto xs = list.take();
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_TRUE(bsm::is(xs[0].err, bsm::errc::unavailable));
  EXPECT_FALSE(xs[1].err);
  EXPECT_TRUE(xs[1].duplicate.duplicate());
  EXPECT_EQ(xs[1].duplicate.seq(), 7u);
}

// Pushes from another thread while the owner takes: every append arrives
// once, in order, and every push that found the list empty was followed by
// a take that saw it.
TEST(CommittedAppends, LosesNothingUnderConcurrentPushAndTake) {
  constexpr uint64_t n = 20000;
  committed_appends list;
  std::atomic<uint64_t> asks{0};
  std::thread writer{[&] {
    for (uint64_t i = 0; i < n; ++i)
      if (list.push({i, {}, {}}))
        ++asks;
  }};
  std::vector<uint64_t> seen;
  uint64_t takes_with_items = 0;
  while (seen.size() < n) {
    auto xs = list.take();
    if (!xs.empty())
      ++takes_with_items;
    for (auto& x : xs)
      seen.push_back(x.seq);
  }
  writer.join();
  ASSERT_EQ(seen.size(), n);
  for (uint64_t i = 0; i < n; ++i)
    ASSERT_EQ(seen[i], i);
  // Each ask has a non-empty take of its own.
  EXPECT_EQ(asks.load(), takes_with_items);
}

} // namespace
