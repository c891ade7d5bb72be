// The durable mailbox actor on CAF's deterministic scheduler: envelopes a
// stopped node left on disk are delivered one at a time in order, the head
// counted first, then in a window whose removals are one write; a failed
// or timed out delivery is repeated after exactly the backoff, not before,
// and the window's later deliveries after it; a hash-placed target waits
// while the node is joining its cluster.

#include "actors/mailbox_actor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "tests/unit/actors/deterministic_mailbox.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::v1::PingRequest;
using bsm::v1::PingResponse;

using sink_log = bsm::test::held_requests<PingRequest, PingResponse>;

/// What a drain request got back, if anything yet.
struct drain_answer {
  bool answered = false;
  bsm::v1::MailboxDrainResponse resp;
};

/// Asks `box` to drain and records its answer.
caf::behavior drain_client(caf::event_based_actor* self, bsm::mailbox_actor box,
                           std::shared_ptr<drain_answer> out) {
  self->request(box, caf::infinite, bsm::v1::MailboxDrainRequest{})
    .then(
      [out](const bsm::v1::MailboxDrainResponse& resp) {
        out->answered = true;
        out->resp = resp;
      },
      [out](const caf::error&) {
        out->answered = true;
        out->resp.set_cut(1);
      });
  return {[](caf::atom_value) {
  }};
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
    target = sys.spawn(bsm::test::holder<PingRequest, PingResponse>, log);
    ASSERT_FALSE(names->put("sink", target));
    auto env = make_env();
    env.directory = directory;
    box
      = sys.spawn(bsm::durable_mailbox, env, "sink", reader, caf::actor_addr{});
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

  /// The envelope `seq` of "sink" is still on disk.
  bool on_disk(uint64_t seq) {
    auto x
      = db->get(bsm::column::mailbox, bsm::mailbox::envelope_key("sink", seq));
    return x && x->has_value();
  }

  std::shared_ptr<sink_log> log = std::make_shared<sink_log>();
  caf::actor target;
  bsm::mailbox_actor box;
  /// The cluster's view, if the test gives the mailbox one.
  std::shared_ptr<bsm::cluster::directory> directory;
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

TEST_F(MailboxActor, AHashPlacedTargetWaitsUntilThisNodeHasJoined) {
  directory = std::make_shared<bsm::cluster::directory>("self", names);
  directory->set_placements({{"sink", bsm::cluster::placement{}}});
  directory->set_join(bsm::cluster::join_state::joining);
  start(2);
  pass(2s);
  EXPECT_TRUE(delivered().empty())
    << "its owner may be a member this node does not know yet";
  directory->set_join(bsm::cluster::join_state::joined);
  pass(1s);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0}));
  answer(0);
  answer(1);
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(metrics.redeliveries.value(), 0u) << "waiting is no failure";
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

TEST_F(MailboxActor, AWindowIsInFlightAtOnceAndRemovedInOneWrite) {
  opts.delivery_window = 4;
  start(10);
  // After a restart, one at a time until a window's worth has passed.
  for (uint64_t seq = 0; seq < 4; ++seq) {
    ASSERT_EQ(log->got.size(), seq + 1);
    answer(seq);
  }
  EXPECT_EQ(delivered(), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  // Answers wait for the earlier ones; removals for the window to empty.
  answer(5);
  EXPECT_EQ(metrics.acknowledged.value(), 4u);
  answer(4);
  answer(6);
  EXPECT_TRUE(on_disk(4));
  EXPECT_EQ(delivered().size(), 10u); // 8 and 9 took the freed places
  answer(7);
  answer(8);
  answer(9);
  EXPECT_EQ(metrics.acknowledged.value(), 10u);
  for (uint64_t seq = 4; seq < 10; ++seq)
    EXPECT_FALSE(on_disk(seq));
}

TEST_F(MailboxActor, AFailureInAWindowDeliversTheRestAgainAfterTheRetry) {
  opts.delivery_window = 4;
  start(8);
  for (uint64_t seq = 0; seq < 4; ++seq)
    answer(seq);
  ASSERT_EQ(delivered(), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  answer(4);
  answer(6); // waits for 5
  answer(5, bsm::make_error(bsm::errc::unavailable, "not yet"));
  answer(7); // stale: it goes again after 5
  pass(100ms);
  ASSERT_EQ(log->got.size(), 9u);
  EXPECT_EQ(log->got[8].sequence(), 5u);
  answer(8);
  EXPECT_EQ(delivered(),
            (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 5, 6, 7}));
  answer(9);
  answer(10);
  EXPECT_EQ(metrics.acknowledged.value(), 8u);
  EXPECT_EQ(metrics.redeliveries.value(), 1u);
  for (uint64_t seq = 0; seq < 8; ++seq)
    EXPECT_FALSE(on_disk(seq));
}

TEST_F(MailboxActor, ADrainEndsTheWindowInFlightAndStartsNoDelivery) {
  opts.delivery_window = 4;
  start(10);
  for (uint64_t seq = 0; seq < 4; ++seq)
    answer(seq);
  ASSERT_EQ(delivered().size(), 8u); // 4..7 in flight
  auto out = std::make_shared<drain_answer>();
  auto client = sys.spawn(drain_client, box, out);
  settle();
  EXPECT_FALSE(out->answered);
  answer(5);
  answer(4);
  answer(6);
  EXPECT_FALSE(out->answered);
  EXPECT_EQ(delivered().size(), 8u); // no place freed is taken
  answer(7);
  wait_for_writer();
  settle();
  ASSERT_TRUE(out->answered);
  EXPECT_EQ(out->resp.mailboxes(), 1u);
  EXPECT_EQ(out->resp.cut(), 0u);
  EXPECT_EQ(delivered().size(), 8u);
  // The removals were on disk before the answer; the rest waits there.
  for (uint64_t seq = 0; seq < 8; ++seq)
    EXPECT_FALSE(on_disk(seq));
  EXPECT_TRUE(on_disk(8));
  EXPECT_TRUE(on_disk(9));
  stop(client);
}

TEST_F(MailboxActor, AnIdleMailboxDrainsAtOnce) {
  start(1);
  answer(0);
  auto out = std::make_shared<drain_answer>();
  auto client = sys.spawn(drain_client, box, out);
  settle();
  wait_for_writer();
  settle();
  EXPECT_TRUE(out->answered);
  EXPECT_EQ(out->resp.cut(), 0u);
  stop(client);
}

} // namespace

// -- a store-backed target: batches, effects committed with the removal ----

using effect_log
  = bsm::test::held_requests<bsm::v1::EffectRequest, bsm::v1::EffectResponse>;

class StoreBackedMailbox : public bsm::test::deterministic_mailbox {
protected:
  ~StoreBackedMailbox() override {
    if (box)
      stop(box);
    if (target)
      stop(target);
  }

  void start(uint64_t n) {
    leave_on_disk("journal", 0, n);
    target = sys.spawn(
      bsm::test::holder<bsm::v1::EffectRequest, bsm::v1::EffectResponse>, log);
    ASSERT_FALSE(names->put("journal", target));
    auto env = make_env();
    env.store_backed = {"journal"};
    box = sys.spawn(bsm::durable_mailbox, env, "journal", reader,
                    caf::actor_addr{});
    settle();
  }

  /// The seqs of delivery `i`.
  std::vector<uint64_t> batch(size_t i) const {
    std::vector<uint64_t> result;
    for (const auto& e : log->got.at(i).entries())
      result.push_back(e.seq());
    return result;
  }

  /// Answers delivery `i` with one memory put per envelope ("k<seq>"),
  /// refusing those in `refuse`.
  void answer_effects(size_t i, const std::vector<uint64_t>& refuse = {}) {
    bsm::v1::EffectResponse resp;
    for (auto seq : batch(i)) {
      if (std::count(refuse.begin(), refuse.end(), seq) > 0) {
        auto* r = resp.add_refused();
        r->set_seq(seq);
        r->set_error("refused for good");
        continue;
      }
      auto* w = resp.add_writes();
      w->set_column(bsm::v1::EFFECT_COLUMN_MEMORY);
      w->set_key("k" + std::to_string(seq));
      w->set_value("v");
    }
    answer(target, i, std::move(resp));
  }

  bool stored(uint64_t seq) {
    auto x = db->get(bsm::column::memory, "k" + std::to_string(seq));
    return x && x->has_value();
  }

  bool pending(uint64_t seq) {
    auto x = db->get(bsm::column::mailbox,
                     bsm::mailbox::envelope_key("journal", seq));
    return x && x->has_value();
  }

  std::shared_ptr<effect_log> log = std::make_shared<effect_log>();
  caf::actor target;
  bsm::mailbox_actor box;
};

TEST_F(StoreBackedMailbox, CommitsEffectsWithTheRemovalInBatches) {
  opts.max_batch = 3;
  start(7);
  // After a restart, one at a time until a whole batch has passed.
  for (uint64_t seq = 0; seq < 3; ++seq) {
    ASSERT_EQ(log->got.size(), seq + 1);
    EXPECT_EQ(batch(seq), std::vector<uint64_t>{seq});
    EXPECT_FALSE(stored(seq));
    answer_effects(seq);
    EXPECT_TRUE(stored(seq));
    EXPECT_FALSE(pending(seq));
  }
  ASSERT_EQ(log->got.size(), 4u);
  EXPECT_EQ(batch(3), (std::vector<uint64_t>{3, 4, 5}));
  // Nothing of a batch is written before its answer, all of it after.
  EXPECT_FALSE(stored(3));
  EXPECT_TRUE(pending(3));
  answer_effects(3, {4});
  EXPECT_TRUE(stored(3));
  EXPECT_FALSE(stored(4));
  EXPECT_TRUE(stored(5));
  for (uint64_t seq = 3; seq < 6; ++seq)
    EXPECT_FALSE(pending(seq));
  auto dead = bsm::mailbox::dead_letters(*db, "journal", 10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].seq(), 4u);
  EXPECT_EQ((*dead)[0].error(), "refused for good");
  ASSERT_EQ(log->got.size(), 5u);
  EXPECT_EQ(batch(4), std::vector<uint64_t>{6});
  answer_effects(4);
  EXPECT_EQ(metrics.acknowledged.value(), 6u);
  EXPECT_EQ(metrics.dead_lettered.value(), 1u);
}

TEST_F(StoreBackedMailbox, AFailedBatchWritesNothingAndComesBackOneAtATime) {
  opts.max_batch = 2;
  start(4);
  answer_effects(0);
  answer_effects(1);
  ASSERT_EQ(batch(2), (std::vector<uint64_t>{2, 3}));
  answer(target, 2, bsm::make_error(bsm::errc::invalid_argument, "bad batch"));
  EXPECT_FALSE(stored(2));
  EXPECT_TRUE(pending(2));
  pass(100ms);
  ASSERT_EQ(log->got.size(), 4u);
  EXPECT_EQ(batch(3), std::vector<uint64_t>{2});
  EXPECT_EQ(log->got[3].entries(0).envelope().attempt(), 0u);
}
