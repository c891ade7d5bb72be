// The durable mailbox actor on CAF's deterministic scheduler: envelopes a
// stopped node left on disk are delivered one at a time in order, the head
// counted first; a failed or timed out delivery is repeated after exactly
// the backoff, not before.

#include "actors/mailbox_actor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "tests/unit/actors/deterministic_mailbox.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::v1::PingRequest;
using bsm::v1::PingResponse;

using sink_log = bsm::test::held_requests<PingRequest, PingResponse>;

class MailboxActor : public bsm::test::deterministic_mailbox {
protected:
  ~MailboxActor() override {
    if (box)
      stop(box);
    if (target)
      stop(target);
  }

  /// Leaves `n` envelopes on disk for "sink", starts the sink and the
  /// mailbox, and lets them run.
  void start(uint64_t n) {
    leave_on_disk("sink", 0, n);
    target = sys.spawn(bsm::test::holder<PingRequest, PingResponse>, log);
    ASSERT_FALSE(names->put("sink", target));
    box = sys.spawn(bsm::durable_mailbox, make_env(), "sink", reader,
                    caf::actor_addr{});
    settle();
  }

  /// Answers delivery `i` (counting from 0): with `err` if set, else as
  /// the handler would.
  void answer(uint64_t i, caf::error err = {}) {
    ASSERT_LT(i, log->held.size());
    if (err) {
      deterministic_mailbox::answer(target, i, std::move(err));
      return;
    }
    PingResponse resp;
    resp.set_sequence(log->got[i].sequence());
    deterministic_mailbox::answer(target, i, std::move(resp));
  }

  /// The sequence numbers delivered, in delivery order.
  std::vector<uint64_t> delivered() const {
    std::vector<uint64_t> result;
    for (const auto& req : log->got)
      result.push_back(req.sequence());
    return result;
  }

  std::shared_ptr<sink_log> log = std::make_shared<sink_log>();
  caf::actor target;
  bsm::mailbox_actor box;
};

TEST_F(MailboxActor, DeliversWhatWasLeftOnDiskOneAtATimeInOrder) {
  start(3);
  // The next delivery waits for the handler's answer.
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0}));
  answer(0);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 1}));
  answer(1);
  answer(2);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(metrics.acknowledged.value(), 3u);
  EXPECT_EQ(metrics.deliveries.value(), 3u);
}

TEST_F(MailboxActor, AFailedDeliveryIsRepeatedAfterTheBackoffAndNotBefore) {
  opts.max_deliveries = 5;
  start(2);
  answer(0, bsm::make_error(bsm::errc::unavailable, "not yet"));
  pass(99ms);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0}));
  pass(1ms);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 0}));
  // The second failure waits twice as long.
  answer(1, bsm::make_error(bsm::errc::unavailable, "not yet"));
  pass(199ms);
  EXPECT_EQ(log->got.size(), 2u);
  pass(1ms);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 0, 0}));
  answer(2);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 0, 0, 1}));
  EXPECT_EQ(metrics.redeliveries.value(), 2u);
}

TEST_F(MailboxActor, AHandlerThatDoesNotAnswerInTimeIsDeliveredAgain) {
  opts.delivery_timeout = 1s;
  start(1);
  pass(999ms);
  EXPECT_EQ(log->got.size(), 1u);
  pass(1ms); // the delivery times out; the retry waits the backoff
  EXPECT_EQ(log->got.size(), 1u);
  pass(100ms);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 0}));
  // The late answer to the first delivery acknowledges nothing.
  answer(0);
  EXPECT_EQ(metrics.acknowledged.value(), 0u);
  answer(1);
  EXPECT_EQ(metrics.acknowledged.value(), 1u);
}

TEST_F(MailboxActor,
       AfterMaxDeliveriesTheEnvelopeIsADeadLetterAndTheNextFollows) {
  start(2);
  // Restart counted the head once already: two failures reach the limit.
  answer(0, bsm::make_error(bsm::errc::unavailable, "no"));
  pass(100ms);
  answer(1, bsm::make_error(bsm::errc::unavailable, "no"));
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 0, 1}));
  EXPECT_EQ(metrics.dead_lettered.value(), 1u);
}

} // namespace
