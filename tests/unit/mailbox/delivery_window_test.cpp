// A plain handler's window of deliveries without actors or store: several
// in flight in sequence order, acknowledged in order and collected for one
// removal write, go-back-N after a failure (the failed one judged, the
// later ones back uncounted, their answers stale; a failure behind an
// unanswered delivery judged only alone), dead letters after
// max_deliveries, and one at a time after a restart.

#include "runtime/mailbox/delivery_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "runtime/error.hpp"
#include "tests/unit/mailbox/committed_entries.hpp"

namespace {

using namespace std::chrono_literals;
using namespace bsm::mailbox;
using bsm::errc;
using bsm::make_error;
using kind = delivery_outcome::kind;
using seqs = std::vector<uint64_t>;

class DeliveryWindow : public ::testing::Test {
protected:
  DeliveryWindow() {
    opts.max_deliveries = 3;
    opts.backoff_initial = 100ms;
    opts.backoff_max = 350ms;
    opts.max_batch = 2;
    opts.delivery_window = 4;
    q = delivery_queue{64, 1000, opts};
  }

  void commit(uint64_t n) {
    bsm::test::commit(q.pending(), n);
  }

  /// Starts deliveries while the window has room; returns their seqs and
  /// remembers each one's token.
  seqs fill(delivery_queue::time_point now = {}) {
    seqs started;
    while (q.may_start() && !q.pending().empty()) {
      auto e = q.take_next();
      auto seq = e.seq;
      tokens[seq] = q.start(std::move(e), now);
      started.push_back(seq);
    }
    return started;
  }

  delivery_outcome answer(uint64_t seq, caf::error err = {}) {
    return q.answered(tokens.at(seq), err);
  }

  seqs pending_seqs() {
    seqs result;
    auto& p = q.pending();
    std::vector<entry> all;
    while (!p.empty())
      all.push_back(p.pop_front());
    for (const auto& e : all)
      result.push_back(e.seq);
    p.push_front(std::move(all));
    return result;
  }

  caf::error transient = make_error(errc::unavailable, "not yet");
  delivery_options opts;
  delivery_queue q;
  std::map<uint64_t, uint64_t> tokens;
};

TEST_F(DeliveryWindow, FillsTheWindowInSequenceOrder) {
  commit(6);
  EXPECT_EQ(fill(), (seqs{0, 1, 2, 3}));
  EXPECT_FALSE(q.may_start());
  EXPECT_TRUE(q.in_flight());
  EXPECT_EQ(q.pending().depth(), 6u);
}

TEST_F(DeliveryWindow, AcknowledgesInSequenceOrderOnly) {
  commit(4);
  fill();
  // An answer waits for those of the deliveries before it.
  EXPECT_EQ(answer(1).what, kind::waiting);
  EXPECT_EQ(q.pending().depth(), 4u);
  auto out = answer(0);
  ASSERT_EQ(out.what, kind::acknowledged);
  EXPECT_EQ(out.e.seq, 0u);
  EXPECT_EQ(out.count, 2u);
  EXPECT_EQ(q.pending().depth(), 2u);
  EXPECT_EQ(answer(1).what, kind::stale); // answered already
}

TEST_F(DeliveryWindow, CollectsTheRemovalsForOneWrite) {
  commit(4);
  fill();
  answer(0);
  answer(1);
  // Two of a window of four, still in flight: not yet.
  EXPECT_FALSE(q.acks_due());
  answer(2);
  answer(3);
  // The window emptied: one write for all four.
  ASSERT_TRUE(q.acks_due());
  EXPECT_EQ(q.take_acks(), (seqs{0, 1, 2, 3}));
  EXPECT_FALSE(q.acks_due());
  EXPECT_EQ(q.pending().depth(), 0u);
}

TEST_F(DeliveryWindow, AWindowsWorthOfRemovalsIsDueWhileDeliveriesGoOn) {
  commit(10);
  fill();
  for (uint64_t seq = 0; seq < 4; ++seq) {
    EXPECT_FALSE(q.acks_due());
    answer(seq);
    fill();
  }
  EXPECT_TRUE(q.in_flight());
  ASSERT_TRUE(q.acks_due());
  EXPECT_EQ(q.take_acks(), (seqs{0, 1, 2, 3}));
}

TEST_F(DeliveryWindow, AFailureInTheMiddleGoesBackToIt) {
  commit(6);
  fill();
  answer(0);
  auto out = answer(1, transient);
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.e.seq, 1u);
  EXPECT_EQ(out.e.envelope.attempt(), 1u);
  EXPECT_EQ(out.delay, 100ms);
  EXPECT_EQ(out.error, transient);
  EXPECT_FALSE(q.in_flight());
  // The later ones are back in order, uncounted; only 0 is acknowledged.
  EXPECT_EQ(pending_seqs(), (seqs{1, 2, 3, 4, 5}));
  EXPECT_EQ(q.pending().front().envelope.attempt(), 1u);
  ASSERT_TRUE(q.acks_due());
  EXPECT_EQ(q.take_acks(), (seqs{0}));
  EXPECT_EQ(q.pending().depth(), 5u);
  // Their answers to the given-up deliveries are stale.
  auto stale2 = tokens[2];
  EXPECT_EQ(answer(2).what, kind::stale);
  EXPECT_EQ(answer(3).what, kind::stale);
  // The retry goes alone, then the window resumes from 2.
  EXPECT_EQ(fill(), (seqs{1}));
  EXPECT_EQ(answer(1).what, kind::acknowledged);
  EXPECT_EQ(fill(), (seqs{2, 3, 4, 5}));
  EXPECT_NE(tokens[2], stale2);
  for (uint64_t seq = 2; seq < 6; ++seq)
    answer(seq);
  EXPECT_EQ(q.take_acks(), (seqs{1, 2, 3, 4, 5}));
  EXPECT_EQ(q.pending().depth(), 0u);
}

TEST_F(DeliveryWindow, AFailureBehindAnUnansweredDeliveryIsNotJudged) {
  commit(4);
  fill();
  // 2 fails while 0 and 1 are unanswered: perhaps only because the handler
  // was busy with them.
  EXPECT_EQ(answer(2, transient).what, kind::waiting);
  EXPECT_EQ(answer(3).what, kind::waiting);
  auto first = answer(0);
  EXPECT_EQ(first.what, kind::acknowledged);
  EXPECT_EQ(first.count, 1u);
  // 1 done: 2 reaches the head and goes back uncounted with 3.
  auto out = answer(1);
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.e.seq, 2u);
  EXPECT_EQ(out.e.envelope.attempt(), 0u);
  EXPECT_EQ(out.delay, 100ms);
  EXPECT_EQ(pending_seqs(), (seqs{2, 3}));
  EXPECT_EQ(q.take_acks(), (seqs{0, 1}));
  // Alone, it is judged.
  EXPECT_EQ(fill(), (seqs{2}));
  out = answer(2, transient);
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.e.envelope.attempt(), 1u);
}

TEST_F(DeliveryWindow, AnEarlierFailureJudgesOnlyItself) {
  commit(4);
  fill();
  EXPECT_EQ(answer(2, transient).what, kind::waiting);
  // The target stopped: the oldest delivery is the one judged.
  auto out = q.failed(make_error(errc::unavailable, "stopped"));
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.e.seq, 0u);
  EXPECT_EQ(pending_seqs(), (seqs{0, 1, 2, 3}));
  q.pending().pop_front();
  EXPECT_EQ(q.pending().front().envelope.attempt(), 0u); // 1
  q.pending().pop_front();
  EXPECT_EQ(q.pending().front().envelope.attempt(), 0u); // 2
}

TEST_F(DeliveryWindow, APoisonEnvelopeIsIsolatedAndBuriedAfterMaxDeliveries) {
  commit(5);
  fill();
  EXPECT_EQ(answer(0).what, kind::acknowledged);
  EXPECT_EQ(answer(1, transient).what, kind::redeliver);
  EXPECT_EQ(fill(), (seqs{1}));
  EXPECT_EQ(answer(1, transient).what, kind::redeliver);
  EXPECT_EQ(fill(), (seqs{1}));
  auto out = answer(1, transient);
  ASSERT_EQ(out.what, kind::dead_letter);
  EXPECT_EQ(out.e.seq, 1u);
  EXPECT_EQ(out.e.envelope.attempt(), 3u);
  EXPECT_EQ(out.error, transient);
  // The rest follow in a window again, uncounted.
  EXPECT_EQ(fill(), (seqs{2, 3, 4}));
  EXPECT_EQ(q.pending().depth(), 3u);
  for (uint64_t seq = 2; seq < 5; ++seq)
    answer(seq);
  EXPECT_EQ(q.take_acks(), (seqs{0, 2, 3, 4}));
  EXPECT_EQ(q.pending().depth(), 0u);
}

TEST_F(DeliveryWindow, AnErrorARetryCannotFixIsADeadLetterAtOnce) {
  commit(3);
  fill();
  EXPECT_EQ(answer(0).what, kind::acknowledged);
  auto out = answer(1, make_error(errc::invalid_argument, "refused"));
  ASSERT_EQ(out.what, kind::dead_letter);
  EXPECT_EQ(out.e.seq, 1u);
  EXPECT_EQ(out.e.envelope.attempt(), 1u);
  EXPECT_EQ(pending_seqs(), (seqs{2}));
  EXPECT_EQ(q.pending().depth(), 1u);
  // No retry to wait for: the window is open at once.
  EXPECT_EQ(fill(), (seqs{2}));
}

TEST_F(DeliveryWindow, TheTimeoutJudgesTheOldestDeliveryInFlight) {
  commit(3);
  auto t0 = delivery_queue::time_point{} + 1s;
  auto t1 = t0 + 1s;
  EXPECT_FALSE(q.oldest_started());
  auto first = q.start(q.take_next(), t0);
  q.start(q.take_next(), t1);
  EXPECT_EQ(q.oldest_started(), t0);
  q.answered(first, {});
  EXPECT_EQ(q.oldest_started(), t1);
  auto out = q.failed(caf::sec::request_timeout);
  ASSERT_EQ(out.what, kind::redeliver);
  EXPECT_EQ(out.e.seq, 1u);
  EXPECT_FALSE(q.oldest_started());
}

TEST_F(DeliveryWindow, AfterARestartOneAtATimeUntilAWindowHasPassed) {
  q.opened(0, 8); // a window of deliveries may have been interrupted
  auto page = q.pending().next_read();
  ASSERT_TRUE(page);
  q.pending().page_read(*page, bsm::test::make_entries(0, 8), 0);
  auto counted = q.recount_head();
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->e.envelope.attempt(), 1u);
  // A window's worth of single deliveries: whichever envelope stopped the
  // node is then delivered alone, and counted as the head after the next
  // restart.
  for (uint64_t seq = 0; seq < 4; ++seq) {
    ASSERT_EQ(fill(), seqs{seq});
    EXPECT_EQ(answer(seq).what, kind::acknowledged);
  }
  EXPECT_EQ(fill(), (seqs{4, 5, 6, 7}));
}

TEST_F(DeliveryWindow, AWindowOfOneDeliversOneAtATime) {
  opts.delivery_window = 1;
  q = delivery_queue{64, 1000, opts};
  commit(2);
  EXPECT_EQ(fill(), (seqs{0}));
  answer(0);
  ASSERT_TRUE(q.acks_due());
  EXPECT_EQ(q.take_acks(), (seqs{0}));
  EXPECT_EQ(fill(), (seqs{1}));
}

} // namespace
