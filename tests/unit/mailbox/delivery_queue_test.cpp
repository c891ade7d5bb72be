// A durable mailbox's delivery decisions without actors or store: one
// delivery at a time in order, answers to old deliveries, redelivery after
// a capped doubling backoff, dead letters after max_deliveries or at once
// for errors a retry cannot fix, and the head counted after a restart.

#include "runtime/mailbox/delivery_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "runtime/error.hpp"
#include "tests/unit/mailbox/committed_entries.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::errc;
using bsm::make_error;
using bsm::mailbox::delivery_options;
using bsm::mailbox::delivery_queue;
using bsm::mailbox::entry;
using kind = bsm::mailbox::delivery_outcome::kind;

class DeliveryQueue : public ::testing::Test {
protected:
  DeliveryQueue() {
    opts.max_deliveries = 3;
    opts.backoff_initial = 100ms;
    opts.backoff_max = 350ms;
    q = delivery_queue{16, 1000, opts};
  }

  /// Sends and commits envelopes `0..n-1`.
  void commit(uint64_t n) {
    bsm::test::commit(q.pending(), n);
  }

  /// Starts the delivery of the head; returns its token.
  uint64_t start_next() {
    return q.start(q.take_next());
  }

  caf::error transient = make_error(errc::unavailable, "not yet");
  delivery_options opts;
  delivery_queue q;
};

TEST_F(DeliveryQueue, DeliversOneAtATimeInSequenceOrder) {
  commit(3);
  std::vector<uint64_t> acked;
  while (!q.pending().empty()) {
    auto token = start_next();
    EXPECT_TRUE(q.in_flight());
    auto out = q.answered(token, {});
    ASSERT_EQ(out.what, kind::acknowledged);
    EXPECT_FALSE(q.in_flight());
    acked.push_back(out.e.seq);
  }
  EXPECT_EQ(acked, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(q.pending().depth(), 0u);
}

TEST_F(DeliveryQueue, AnAnswerToAnOlderDeliveryChangesNothing) {
  commit(2);
  auto first = start_next();
  ASSERT_EQ(q.failed(transient).what, kind::redeliver);
  auto second = start_next();
  EXPECT_EQ(q.answered(first, {}).what, kind::stale);
  EXPECT_TRUE(q.in_flight());
  EXPECT_EQ(q.answered(second, {}).what, kind::acknowledged);
  EXPECT_EQ(q.answered(second, {}).what, kind::stale);
}

TEST_F(DeliveryQueue, AnAnswerOfAnUnlistedTypeMeansTheHandlerFinished) {
  commit(1);
  auto token = start_next();
  auto out = q.answered(token, caf::sec::unexpected_response);
  EXPECT_EQ(out.what, kind::acknowledged);
  EXPECT_EQ(q.pending().depth(), 0u);
}

TEST_F(DeliveryQueue, FailuresAreRepeatedAfterADoublingCappedBackoff) {
  opts.max_deliveries = 10;
  q = delivery_queue{16, 1000, opts};
  commit(2);
  std::vector<std::chrono::milliseconds> delays;
  for (uint32_t attempt = 1; attempt <= 4; ++attempt) {
    auto out = q.answered(start_next(), transient);
    ASSERT_EQ(out.what, kind::redeliver);
    EXPECT_EQ(out.e.seq, 0u);
    EXPECT_EQ(out.e.envelope.attempt(), attempt);
    // Back at the head with its count, still counted in the depth.
    EXPECT_EQ(q.pending().front().seq, 0u);
    EXPECT_EQ(q.pending().front().envelope.attempt(), attempt);
    EXPECT_EQ(q.pending().depth(), 2u);
    delays.push_back(out.delay);
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 350ms,
                                                            350ms}));
  EXPECT_EQ(q.backoff(), 350ms);
}

TEST_F(DeliveryQueue, ASuccessResetsTheBackoff) {
  commit(2);
  ASSERT_EQ(q.answered(start_next(), transient).what, kind::redeliver);
  EXPECT_EQ(q.backoff(), 200ms);
  ASSERT_EQ(q.answered(start_next(), {}).what, kind::acknowledged);
  EXPECT_EQ(q.backoff(), 100ms);
  auto out = q.answered(start_next(), transient);
  EXPECT_EQ(out.e.seq, 1u);
  EXPECT_EQ(out.delay, 100ms);
}

TEST_F(DeliveryQueue, AfterMaxDeliveriesTheEnvelopeIsADeadLetter) {
  commit(2);
  EXPECT_EQ(q.answered(start_next(), transient).what, kind::redeliver);
  EXPECT_EQ(q.answered(start_next(), transient).what, kind::redeliver);
  auto out = q.answered(start_next(), transient);
  ASSERT_EQ(out.what, kind::dead_letter);
  EXPECT_EQ(out.e.seq, 0u);
  EXPECT_EQ(out.e.envelope.attempt(), 3u);
  EXPECT_EQ(q.pending().depth(), 1u);
  // The next one follows.
  ASSERT_FALSE(q.pending().empty());
  EXPECT_EQ(q.pending().front().seq, 1u);
}

TEST_F(DeliveryQueue, TheFirstErrorIsKeptForTheDeadLetter) {
  commit(1);
  auto first = q.answered(start_next(), make_error(errc::unavailable, "one"));
  ASSERT_EQ(first.what, kind::redeliver);
  EXPECT_EQ(first.e.envelope.first_error(), "unavailable: one");
  auto second = q.answered(start_next(), make_error(errc::unavailable, "two"));
  ASSERT_EQ(second.what, kind::redeliver);
  EXPECT_EQ(second.e.envelope.first_error(), "unavailable: one");
  EXPECT_EQ(bsm::render(second.error), "unavailable: two");
}

TEST_F(DeliveryQueue, AnErrorARetryCannotFixIsADeadLetterAtOnce) {
  commit(1);
  auto out
    = q.answered(start_next(), make_error(errc::invalid_argument, "refused"));
  ASSERT_EQ(out.what, kind::dead_letter);
  EXPECT_EQ(out.e.envelope.attempt(), 1u);
  EXPECT_EQ(q.pending().depth(), 0u);
  EXPECT_TRUE(q.pending().empty());
}

TEST_F(DeliveryQueue, ATargetThatStoppedDuringTheDeliveryIsAFailure) {
  commit(1);
  start_next();
  auto out = q.failed(make_error(errc::unavailable, "stopped"));
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.delay, 100ms);
  EXPECT_FALSE(q.in_flight());
}

TEST_F(DeliveryQueue, AfterARestartTheHeadIsCountedOnceBeforeItsDelivery) {
  q.opened(4, 7);
  EXPECT_EQ(q.pending().depth(), 3u);
  auto page = q.pending().next_read();
  ASSERT_TRUE(page);
  std::vector<entry> read(3);
  for (uint64_t i = 0; i < 3; ++i)
    read[i].seq = 4 + i;
  q.pending().page_read(*page, std::move(read), 0);
  auto counted = q.recount_head();
  ASSERT_TRUE(counted);
  EXPECT_FALSE(counted->dead);
  EXPECT_EQ(counted->e.seq, 4u);
  EXPECT_EQ(counted->e.envelope.attempt(), 1u);
  EXPECT_EQ(q.pending().front().envelope.attempt(), 1u);
  EXPECT_FALSE(q.recount_head());
  EXPECT_EQ(q.pending().depth(), 3u);
}

TEST_F(DeliveryQueue, AHeadThatStoppedTheNodeTooOftenIsADeadLetter) {
  q.opened(0, 2);
  auto page = q.pending().next_read();
  ASSERT_TRUE(page);
  std::vector<entry> read(2);
  read[0].seq = 0;
  read[0].envelope.set_attempt(2);
  read[1].seq = 1;
  q.pending().page_read(*page, std::move(read), 0);
  auto counted = q.recount_head();
  ASSERT_TRUE(counted);
  EXPECT_TRUE(counted->dead);
  EXPECT_EQ(counted->e.envelope.attempt(), 3u);
  EXPECT_EQ(q.pending().depth(), 1u);
  EXPECT_EQ(q.pending().front().seq, 1u);
}

TEST_F(DeliveryQueue, AnEmptyMailboxAfterARestartHasNoHeadToCount) {
  q.opened(5, 5);
  commit(1);
  EXPECT_FALSE(q.recount_head());
}

TEST_F(DeliveryQueue, AnEnvelopeThatDoesNotDecodeLeavesTheDepth) {
  commit(2);
  EXPECT_EQ(q.take_next().seq, 0u);
  q.dropped();
  EXPECT_EQ(q.pending().depth(), 1u);
  EXPECT_FALSE(q.in_flight());
}

} // namespace

// -- batches, for store-backed handlers
// ----------------------------------------

class DeliveryBatches : public DeliveryQueue {
protected:
  DeliveryBatches() {
    opts.max_batch = 4;
    opts.batches = true;
    q = delivery_queue{16, 1000, opts};
  }

  std::vector<uint64_t> seqs_of(const std::vector<entry>& batch) {
    std::vector<uint64_t> result;
    for (const auto& e : batch)
      result.push_back(e.seq);
    return result;
  }
};

TEST_F(DeliveryBatches, TakesUpToMaxBatchFromTheHeadInOrder) {
  commit(6);
  auto first = q.take_batch();
  EXPECT_EQ(seqs_of(first), (std::vector<uint64_t>{0, 1, 2, 3}));
  auto token = q.start(std::move(first));
  ASSERT_TRUE(q.committing(token));
  EXPECT_EQ(q.in_flight_batch().size(), 4u);
  auto out = q.answered(token, {});
  EXPECT_EQ(out.what, kind::acknowledged);
  EXPECT_EQ(out.count, 4u);
  EXPECT_EQ(q.pending().depth(), 2u);
  EXPECT_EQ(seqs_of(q.take_batch()), (std::vector<uint64_t>{4, 5}));
}

TEST_F(DeliveryBatches, TheTargetStoppingDuringTheCommitDoesNotEndIt) {
  commit(2);
  auto token = q.start(q.take_batch());
  ASSERT_TRUE(q.committing(token));
  // The commit decides: a stop of the target now would otherwise redeliver
  // envelopes whose effects are being written.
  EXPECT_EQ(q.failed(transient).what, kind::stale);
  EXPECT_TRUE(q.in_flight());
  EXPECT_EQ(q.answered(token, {}).what, kind::acknowledged);
  EXPECT_FALSE(q.committing(token)); // stale now
}

TEST_F(DeliveryBatches, AFailedCommitDeliversTheBatchAgain) {
  commit(3);
  auto token = q.start(q.take_batch());
  ASSERT_TRUE(q.committing(token));
  auto out = q.answered(token, make_error(errc::unavailable, "store busy"));
  EXPECT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(q.pending().size(), 3u);
  EXPECT_EQ(q.pending().front().seq, 0u);
}

TEST_F(DeliveryBatches, AFailedBatchIsSortedOutOneAtATimeJudgingNobody) {
  commit(6);
  auto token = q.start(q.take_batch());
  auto out = q.answered(token, make_error(errc::invalid_argument, "bad"));
  // A permanent error of a batch buries nobody: it goes back uncounted.
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.count, 4u);
  EXPECT_EQ(q.pending().front().envelope.attempt(), 0u);
  EXPECT_EQ(q.pending().depth(), 6u);
  // One at a time for the four of the failed batch.
  for (uint64_t seq = 0; seq < 4; ++seq) {
    auto one = q.take_batch();
    ASSERT_EQ(seqs_of(one), std::vector<uint64_t>{seq});
    auto t = q.start(std::move(one));
    if (seq == 2) {
      // Alone, the culprit is judged: a permanent error buries it.
      EXPECT_EQ(q.answered(t, make_error(errc::invalid_argument, "bad")).what,
                kind::dead_letter);
      continue;
    }
    EXPECT_EQ(q.answered(t, {}).what, kind::acknowledged);
  }
  // Then batches again.
  EXPECT_EQ(seqs_of(q.take_batch()), (std::vector<uint64_t>{4, 5}));
}

TEST_F(DeliveryBatches, AfterARestartOneAtATimeUntilAWholeBatchHasPassed) {
  q.opened(0, 6); // a delivery (of a batch, perhaps) was interrupted
  auto page = q.pending().next_read();
  ASSERT_TRUE(page);
  q.pending().page_read(*page, bsm::test::make_entries(0, 6), 0);
  ASSERT_TRUE(q.recount_head());
  // max_batch single deliveries: whichever envelope of the interrupted
  // batch stopped the node is then delivered alone, and counted.
  for (uint64_t seq = 0; seq < 4; ++seq) {
    auto one = q.take_batch();
    ASSERT_EQ(seqs_of(one), std::vector<uint64_t>{seq});
    EXPECT_EQ(q.answered(q.start(std::move(one)), {}).what, kind::acknowledged);
  }
  EXPECT_EQ(seqs_of(q.take_batch()), (std::vector<uint64_t>{4, 5}));
}
