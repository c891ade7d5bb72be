// An outbox's decisions without actors or store: batch size and pipeline
// limits, acks of a prefix, refusals, partial acks and failed or timed out
// batches that send the whole window again in order, and the backoff
// between resends (doubling, capped at a second).

#include "runtime/mailbox/link_window.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "tests/unit/mailbox/committed_entries.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::mailbox::entry;
using bsm::mailbox::link_options;
using bsm::mailbox::link_window;
using bsm::mailbox::outgoing_batch;
using ms = std::chrono::milliseconds;

std::vector<uint64_t> seqs_of(const outgoing_batch& b) {
  std::vector<uint64_t> result;
  for (const auto& x : b.batch.entries())
    result.push_back(x.link_seq());
  return result;
}

bsm::v1::LinkAck ack_up_to(uint64_t seq) {
  bsm::v1::LinkAck ack;
  ack.set_up_to_seq(seq);
  return ack;
}

class LinkWindow : public ::testing::Test {
protected:
  LinkWindow() {
    opts.batch = 3;
    opts.pipeline = 2;
    opts.backoff_initial = 100ms;
    opts.backoff_max = 1'000ms;
    w = link_window{64, 1000, opts};
  }

  /// Sends and commits envelopes `0..n-1`.
  void commit(uint64_t n) {
    bsm::test::commit(w.pending(), n);
  }

  std::vector<uint64_t> queued() {
    std::vector<uint64_t> result;
    auto copy = w.pending();
    while (!copy.empty())
      result.push_back(copy.pop_front().seq);
    return result;
  }

  link_options opts;
  link_window w;
};

TEST_F(LinkWindow, BatchesCarryAtMostBatchEntriesInOrder) {
  commit(7);
  auto a = w.next_batch();
  EXPECT_EQ(seqs_of(a), (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(a.batch.oldest_unacked(), 0u);
  EXPECT_EQ(a.batch.entries(1).envelope().id(), "id-1");
  auto b = w.next_batch();
  EXPECT_EQ(seqs_of(b), (std::vector<uint64_t>{3, 4, 5}));
  // The oldest unacknowledged entry is in the first batch still in flight.
  EXPECT_EQ(b.batch.oldest_unacked(), 0u);
  EXPECT_NE(a.token, b.token);
  EXPECT_EQ(w.pending().size(), 1u);
}

TEST_F(LinkWindow, BatchesStayWithinTheirByteBudgetButTakeOneEntryAlways) {
  opts.batch = 100;
  opts.batch_bytes = 2000;
  opts.pipeline = 10;
  w = link_window{64, 1000, opts};
  for (size_t size : {900, 900, 900, 5000, 10}) {
    auto seq = w.pending().take_seq();
    w.pending().appending(seq, "");
    w.pending().append_done(seq, "");
    auto e = bsm::test::make_entry(seq);
    e.envelope.set_payload(std::string(size, 'x'));
    w.pending().keep(std::move(e));
  }
  EXPECT_EQ(seqs_of(w.next_batch()), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(seqs_of(w.next_batch()), (std::vector<uint64_t>{2}));
  // Larger than the budget on its own: it goes alone rather than never.
  EXPECT_EQ(seqs_of(w.next_batch()), (std::vector<uint64_t>{3}));
  EXPECT_EQ(seqs_of(w.next_batch()), (std::vector<uint64_t>{4}));
}

TEST_F(LinkWindow, ThePipelineBoundsTheBatchesInFlight) {
  commit(10);
  EXPECT_TRUE(w.idle());
  EXPECT_TRUE(w.can_send());
  auto a = w.next_batch();
  EXPECT_FALSE(w.idle());
  EXPECT_TRUE(w.can_send());
  w.next_batch();
  EXPECT_FALSE(w.can_send());
  w.acked(a.token, ack_up_to(2));
  EXPECT_TRUE(w.can_send());
  auto c = w.next_batch();
  EXPECT_EQ(seqs_of(c), (std::vector<uint64_t>{6, 7, 8}));
  EXPECT_EQ(c.batch.oldest_unacked(), 3u);
}

TEST_F(LinkWindow, AnAckCoveringTheBatchAcknowledgesIt) {
  commit(4);
  auto a = w.next_batch();
  auto out = w.acked(a.token, ack_up_to(2));
  EXPECT_FALSE(out.stale);
  EXPECT_EQ(out.done, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_TRUE(out.refused.empty());
  EXPECT_FALSE(out.retry_after);
  EXPECT_EQ(w.pending().depth(), 1u);
  EXPECT_TRUE(w.idle());
}

TEST_F(LinkWindow, EntriesThePeerRefusedAreDeadLettersWithItsError) {
  commit(3);
  auto a = w.next_batch();
  auto ack = ack_up_to(2);
  auto* r = ack.add_refused();
  r->set_link_seq(1);
  r->set_error("not_found: no actor named 'x'");
  auto out = w.acked(a.token, ack);
  EXPECT_EQ(out.done, (std::vector<uint64_t>{0, 2}));
  ASSERT_EQ(out.refused.size(), 1u);
  EXPECT_EQ(out.refused[0].first.seq, 1u);
  EXPECT_EQ(out.refused[0].second, "not_found: no actor named 'x'");
  EXPECT_EQ(w.pending().depth(), 0u);
}

TEST_F(LinkWindow, APartialAckSendsEverythingUnacknowledgedAgainInOrder) {
  commit(7);
  auto a = w.next_batch();
  auto b = w.next_batch();
  auto out = w.acked(a.token, ack_up_to(0));
  EXPECT_EQ(out.done, (std::vector<uint64_t>{0}));
  ASSERT_TRUE(out.retry_after);
  EXPECT_EQ(*out.retry_after, 100ms);
  EXPECT_TRUE(w.idle());
  EXPECT_EQ(queued(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(w.pending().depth(), 6u);
  // The later batch was given up on with it: its ack is ignored.
  EXPECT_TRUE(w.acked(b.token, ack_up_to(5)).stale);
  EXPECT_EQ(w.pending().depth(), 6u);
  auto again = w.next_batch();
  EXPECT_EQ(seqs_of(again), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(again.batch.oldest_unacked(), 1u);
}

TEST_F(LinkWindow, AFailedOrTimedOutBatchSendsTheWholeWindowAgain) {
  commit(7);
  auto a = w.next_batch();
  auto b = w.next_batch();
  auto out = w.failed(b.token);
  EXPECT_FALSE(out.stale);
  EXPECT_EQ(out.unacked, 3u);
  EXPECT_TRUE(out.first);
  EXPECT_EQ(out.retry_after, 100ms);
  EXPECT_EQ(queued(), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(w.failed(a.token).stale);
  EXPECT_TRUE(w.acked(a.token, ack_up_to(2)).stale);
  EXPECT_EQ(w.pending().depth(), 7u);
}

TEST_F(LinkWindow, TheResendBackoffDoublesUpToASecond) {
  commit(1);
  std::vector<ms> delays;
  std::vector<bool> firsts;
  for (int i = 0; i < 6; ++i) {
    auto out = w.failed(w.next_batch().token);
    delays.push_back(out.retry_after);
    firsts.push_back(out.first);
  }
  EXPECT_EQ(delays,
            (std::vector<ms>{100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms}));
  EXPECT_EQ(firsts,
            (std::vector<bool>{true, false, false, false, false, false}));
}

TEST_F(LinkWindow, TheResendBackoffStaysWithinTheRedeliveryMaximum) {
  opts.backoff_max = 300ms;
  w = link_window{64, 1000, opts};
  commit(1);
  std::vector<ms> delays;
  for (int i = 0; i < 4; ++i)
    delays.push_back(w.failed(w.next_batch().token).retry_after);
  EXPECT_EQ(delays, (std::vector<ms>{100ms, 200ms, 300ms, 300ms}));
}

TEST_F(LinkWindow, AFullAckResetsTheBackoff) {
  commit(4);
  w.failed(w.next_batch().token);
  w.failed(w.next_batch().token);
  auto a = w.next_batch();
  EXPECT_FALSE(w.acked(a.token, ack_up_to(2)).retry_after);
  auto b = w.next_batch();
  EXPECT_EQ(seqs_of(b), (std::vector<uint64_t>{3}));
  auto out = w.failed(b.token);
  EXPECT_TRUE(out.first);
  EXPECT_EQ(out.retry_after, 100ms);
}

TEST_F(LinkWindow, ARestartedOutboxCountsNothingAndStartsFromTheDisk) {
  w.opened(10, 14);
  EXPECT_EQ(w.pending().depth(), 4u);
  auto page = w.pending().next_read();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->from_seq, 10u);
  EXPECT_EQ(page->to_seq, 14u);
}

} // namespace
