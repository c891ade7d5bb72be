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

/// What the sink got; the test answers each delivery when it wants.
struct sink_log {
  std::vector<uint64_t> delivered;
  std::vector<caf::typed_response_promise<PingResponse>> held;
};

// Requests are held; ("answer", i, err) answers the i-th (counting from
// 0), with `err` if set. Promises are delivered in the sink's own context.
caf::behavior sink(caf::event_based_actor* self,
                   std::shared_ptr<sink_log> log) {
  return {
    [self, log](PingRequest& req) -> caf::result<PingResponse> {
      log->delivered.push_back(req.sequence());
      log->held.push_back(self->make_response_promise<PingResponse>());
      return log->held.back();
    },
    [log](caf::atom_value, uint64_t i, caf::error& err) {
      if (err) {
        log->held[i].deliver(std::move(err));
        return;
      }
      PingResponse resp;
      resp.set_sequence(log->delivered[i]);
      log->held[i].deliver(resp);
    },
  };
}

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
    target = sys.spawn(sink, log);
    ASSERT_FALSE(names->put("sink", target));
    box = sys.spawn(bsm::durable_mailbox, make_env(), "sink", reader,
                    caf::actor_addr{});
    settle();
  }

  /// Answers delivery `i` (counting from 0), with `err` if set.
  void answer(uint64_t i, caf::error err = {}) {
    ASSERT_LT(i, log->held.size());
    caf::anon_send(target, caf::atom("answer"), i, std::move(err));
    settle();
  }

  std::shared_ptr<sink_log> log = std::make_shared<sink_log>();
  caf::actor target;
  bsm::mailbox_actor box;
};

TEST_F(MailboxActor, DeliversWhatWasLeftOnDiskOneAtATimeInOrder) {
  start(3);
  // The next delivery waits for the handler's answer.
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0}));
  answer(0);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 1}));
  answer(1);
  answer(2);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(metrics.acknowledged.value(), 3u);
  EXPECT_EQ(metrics.deliveries.value(), 3u);
}

TEST_F(MailboxActor, AFailedDeliveryIsRepeatedAfterTheBackoffAndNotBefore) {
  opts.max_deliveries = 5;
  start(2);
  answer(0, bsm::make_error(bsm::errc::unavailable, "not yet"));
  pass(99ms);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0}));
  pass(1ms);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 0}));
  // The second failure waits twice as long.
  answer(1, bsm::make_error(bsm::errc::unavailable, "not yet"));
  pass(199ms);
  EXPECT_EQ(log->delivered.size(), 2u);
  pass(1ms);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 0, 0}));
  answer(2);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 0, 0, 1}));
  EXPECT_EQ(metrics.redeliveries.value(), 2u);
}

TEST_F(MailboxActor, AHandlerThatDoesNotAnswerInTimeIsDeliveredAgain) {
  opts.delivery_timeout = 1s;
  start(1);
  pass(999ms);
  EXPECT_EQ(log->delivered.size(), 1u);
  pass(1ms); // the delivery times out; the retry waits the backoff
  EXPECT_EQ(log->delivered.size(), 1u);
  pass(100ms);
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 0}));
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
  EXPECT_EQ(log->delivered, (std::vector<uint64_t>{0, 0, 1}));
  EXPECT_EQ(metrics.dead_lettered.value(), 1u);
}

} // namespace
