// The pending part of a durable mailbox without actors or store: sequence
// numbers, the depth and its limit, appends sharing an idempotency key, the
// in-memory window and paging from disk in order.

#include "runtime/mailbox/pending_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/mailbox/committed_entries.hpp"

namespace {

using bsm::mailbox::entry;
using bsm::mailbox::page_request;
using bsm::mailbox::pending_queue;
using bsm::test::commit;
using bsm::test::make_entries;

std::vector<uint64_t> drain(pending_queue& q) {
  std::vector<uint64_t> seqs;
  while (!q.empty())
    seqs.push_back(q.pop_front().seq);
  return seqs;
}

TEST(PendingQueue, RefusesOnceTheDepthReachesTheLimit) {
  pending_queue q{16, 2};
  EXPECT_FALSE(q.full());
  q.appending(q.take_seq(), "");
  EXPECT_FALSE(q.full());
  q.appending(q.take_seq(), "");
  EXPECT_TRUE(q.full());
  q.settle(1);
  EXPECT_FALSE(q.full());
}

TEST(PendingQueue, SequenceNumbersAreUsedUpEvenWithoutAnAppend) {
  pending_queue q;
  EXPECT_EQ(q.take_seq(), 0u);
  EXPECT_EQ(q.take_seq(), 1u);
  EXPECT_EQ(q.depth(), 0u);
  EXPECT_EQ(q.next_seq(), 2u);
}

TEST(PendingQueue, AKeyIsSharedOnlyWhileItsAppendIsOnItsWay) {
  pending_queue q;
  EXPECT_FALSE(q.appending_with("k"));
  auto seq = q.take_seq();
  q.appending(seq, "k");
  ASSERT_TRUE(q.appending_with("k"));
  EXPECT_EQ(*q.appending_with("k"), seq);
  EXPECT_FALSE(q.appending_with(""));
  q.append_done(seq, "k");
  EXPECT_FALSE(q.appending_with("k"));
}

TEST(PendingQueue, KeepsCommittedEnvelopesInOrderWithinTheWindow) {
  pending_queue q{4};
  commit(q, 3);
  EXPECT_EQ(q.depth(), 3u);
  EXPECT_FALSE(q.disk_from());
  EXPECT_EQ(drain(q), (std::vector<uint64_t>{0, 1, 2}));
}

TEST(PendingQueue, BeyondTheWindowEnvelopesWaitOnDiskAndAreReadInOrder) {
  pending_queue q{4};
  commit(q, 10);
  EXPECT_EQ(q.size(), 4u);
  ASSERT_TRUE(q.disk_from());
  EXPECT_EQ(*q.disk_from(), 4u);
  // No read while the window is more than half full.
  EXPECT_FALSE(q.next_read());
  q.pop_front();
  q.pop_front();
  EXPECT_FALSE(q.next_read());
  q.pop_front();
  auto page = q.next_read();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->from_seq, 4u);
  EXPECT_EQ(page->to_seq, 10u);
  EXPECT_EQ(page->max_entries, pending_queue::read_page);
  // One read at a time.
  EXPECT_FALSE(q.next_read());
  q.page_read(*page, make_entries(4, 10), 0);
  EXPECT_FALSE(q.disk_from());
  EXPECT_EQ(drain(q), (std::vector<uint64_t>{3, 4, 5, 6, 7, 8, 9}));
}

TEST(PendingQueue, AnEnvelopeCommittedWhileOlderOnesWaitOnDiskWaitsToo) {
  pending_queue q{2};
  commit(q, 3); // seq 2 went to disk
  q.pop_front();
  q.pop_front();
  commit(q, 1); // seq 3: the window has room, but 2 is older
  EXPECT_TRUE(q.empty());
  auto page = q.next_read();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->from_seq, 2u);
  EXPECT_EQ(page->to_seq, 4u);
}

TEST(PendingQueue, AFullPageContinuesFromItsLastEntry) {
  pending_queue q{2};
  commit(q, 600);
  q.pop_front();
  q.pop_front();
  auto page = q.next_read();
  ASSERT_TRUE(page);
  q.page_read(*page, make_entries(2, 258), 0);
  ASSERT_TRUE(q.disk_from());
  EXPECT_EQ(*q.disk_from(), 258u);
  EXPECT_EQ(q.size(), 256u);
}

TEST(PendingQueue, DamagedEnvelopesLeaveTheDepth) {
  pending_queue q{2};
  commit(q, 4);
  q.pop_front();
  q.pop_front();
  auto page = q.next_read();
  ASSERT_TRUE(page);
  q.page_read(*page, make_entries(3, 4), 1); // seq 2 did not parse
  EXPECT_EQ(q.depth(), 3u);
  EXPECT_FALSE(q.disk_from());
}

TEST(PendingQueue, AFailedReadIsAskedAgain) {
  pending_queue q{2};
  commit(q, 3);
  q.pop_front();
  q.pop_front();
  ASSERT_TRUE(q.next_read());
  EXPECT_FALSE(q.next_read());
  q.read_failed();
  EXPECT_TRUE(q.next_read());
}

TEST(PendingQueue, RecoversWhatTheDiskHolds) {
  pending_queue q{8};
  EXPECT_FALSE(q.opened(5, 5));
  EXPECT_EQ(q.depth(), 0u);
  EXPECT_EQ(q.take_seq(), 5u);

  pending_queue r{8};
  EXPECT_TRUE(r.opened(3, 7));
  EXPECT_EQ(r.depth(), 4u);
  EXPECT_EQ(r.next_seq(), 7u);
  auto page = r.next_read();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->from_seq, 3u);
  EXPECT_EQ(page->to_seq, 7u);
}

TEST(PendingQueue, EntriesPutBackGoToTheHeadInSequenceOrder) {
  pending_queue q{8};
  commit(q, 5);
  auto a = q.pop_front();
  auto b = q.pop_front();
  auto c = q.pop_front();
  std::vector<entry> back;
  back.push_back(std::move(c));
  back.push_back(std::move(a));
  back.push_back(std::move(b));
  q.push_front(std::move(back));
  EXPECT_EQ(drain(q), (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

TEST(PendingQueue, TheDepthNeverGoesBelowZero) {
  pending_queue q;
  q.settle(3);
  EXPECT_EQ(q.depth(), 0u);
}

} // namespace
