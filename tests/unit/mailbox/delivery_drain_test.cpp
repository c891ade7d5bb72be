// A graceful stop's decisions without actors or store: once draining, a
// mailbox starts no delivery (a window, a batch, a retry) and an outbox
// sends no batch; they are drained once nothing is in flight and no
// acknowledgement is left to write.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>

#include "runtime/error.hpp"
#include "runtime/mailbox/delivery_queue.hpp"
#include "runtime/mailbox/link_window.hpp"
#include "tests/unit/mailbox/committed_entries.hpp"

namespace {

using namespace std::chrono_literals;
using namespace bsm::mailbox;
using kind = delivery_outcome::kind;

delivery_options window_of(size_t n, bool batches = false) {
  delivery_options opts;
  opts.delivery_window = n;
  opts.max_batch = n;
  opts.batches = batches;
  opts.max_deliveries = 3;
  return opts;
}

TEST(DeliveryDrain, AnIdleQueueIsDrainedAtOnceAndStartsNothing) {
  delivery_queue q{64, 1000, window_of(4)};
  bsm::test::commit(q.pending(), 3);
  EXPECT_FALSE(q.drained());
  q.drain();
  EXPECT_TRUE(q.drained());
  EXPECT_FALSE(q.may_start());
  // Envelopes that wait stay waiting: the next run delivers them.
  EXPECT_EQ(q.pending().depth(), 3u);
}

TEST(DeliveryDrain, AWindowDrainsOnceEveryDeliveryIsAnsweredAndItsAcksTaken) {
  delivery_queue q{64, 1000, window_of(4)};
  bsm::test::commit(q.pending(), 6);
  std::map<uint64_t, uint64_t> tokens;
  while (q.may_start()) {
    auto e = q.take_next();
    auto seq = e.seq;
    tokens[seq] = q.start(std::move(e));
  }
  ASSERT_EQ(tokens.size(), 4u);
  q.drain();
  EXPECT_FALSE(q.may_start());
  EXPECT_FALSE(q.drained());
  EXPECT_EQ(q.answered(tokens[1], {}).what, kind::waiting);
  EXPECT_EQ(q.answered(tokens[0], {}).what, kind::acknowledged);
  EXPECT_EQ(q.answered(tokens[2], {}).what, kind::acknowledged);
  EXPECT_FALSE(q.drained()); // 3 is in flight
  EXPECT_EQ(q.answered(tokens[3], {}).what, kind::acknowledged);
  EXPECT_FALSE(q.drained()); // the removals are not taken yet
  EXPECT_TRUE(q.acks_due());
  EXPECT_EQ(q.take_acks(), (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_TRUE(q.drained());
  EXPECT_FALSE(q.may_start());
  EXPECT_EQ(q.pending().depth(), 2u);
}

TEST(DeliveryDrain, AFailureWhileDrainingGoesBackAndIsNotRetriedNow) {
  delivery_queue q{64, 1000, window_of(2)};
  bsm::test::commit(q.pending(), 2);
  auto a = q.start(q.take_next());
  auto b = q.start(q.take_next());
  q.drain();
  auto out = q.answered(a, bsm::make_error(bsm::errc::unavailable, "busy"));
  EXPECT_EQ(out.what, kind::redeliver);
  // Both went back; b's answer is stale.
  EXPECT_EQ(q.answered(b, {}).what, kind::stale);
  EXPECT_TRUE(q.drained());
  EXPECT_FALSE(q.may_start());
  EXPECT_EQ(q.pending().depth(), 2u);
}

TEST(DeliveryDrain, ABatchDrainsOnlyOnceItsCommitHasEnded) {
  delivery_queue q{64, 1000, window_of(4, true)};
  bsm::test::commit(q.pending(), 3);
  auto token = q.start(q.take_batch());
  q.drain();
  ASSERT_TRUE(q.committing(token));
  EXPECT_FALSE(q.drained());
  EXPECT_EQ(q.answered(token, {}).what, kind::acknowledged);
  EXPECT_TRUE(q.drained());
}

TEST(DeliveryDrain, AnOutboxDrainsOnceNoBatchWaitsForItsAck) {
  link_options opts;
  opts.batch = 2;
  opts.pipeline = 2;
  link_window w{64, 1000, opts};
  bsm::test::commit(w.pending(), 6);
  auto first = w.next_batch();
  w.drain();
  EXPECT_FALSE(w.can_send());
  EXPECT_FALSE(w.drained());
  bsm::v1::LinkAck ack;
  ack.set_up_to_seq(1);
  w.acked(first.token, ack);
  EXPECT_TRUE(w.drained());
  EXPECT_FALSE(w.can_send());
}

TEST(DeliveryDrain, AnOutboxThatNeverSentIsDrainedAtOnce) {
  link_window w{64, 1000, link_options{}};
  bsm::test::commit(w.pending(), 2);
  EXPECT_FALSE(w.drained());
  w.drain();
  EXPECT_TRUE(w.drained());
}

} // namespace
