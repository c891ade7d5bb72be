// The outbox actor on CAF's deterministic scheduler, against a peer that
// answers when the test says so: batches up to the pipeline and no more,
// acks that open the window, a batch not acknowledged within the ack
// timeout sent again in order after the backoff, and an outbox that waits
// for its peer to come up.

#include "actors/outbox_actor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "tests/unit/actors/deterministic_mailbox.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::v1::LinkAck;
using bsm::v1::LinkBatch;

using peer_log = bsm::test::held_requests<LinkBatch, LinkAck>;

std::vector<uint64_t> seqs_of(const LinkBatch& b) {
  std::vector<uint64_t> result;
  for (const auto& x : b.entries())
    result.push_back(x.link_seq());
  return result;
}

class OutboxActor : public bsm::test::deterministic_mailbox {
protected:
  OutboxActor() {
    opts.link_batch = 2;
    opts.link_pipeline = 2;
  }

  ~OutboxActor() override {
    if (box)
      stop(box);
    if (ingress)
      stop(ingress);
  }

  void set_peer_state(bsm::v1::MemberState state) {
    bsm::cluster::member_info m;
    m.record.set_name("node-b");
    m.record.set_incarnation(1);
    m.state = state;
    directory->set_members({m});
  }

  /// Leaves `n` entries in the outbox to node-b on disk and starts it.
  void start(uint64_t n,
             bsm::v1::MemberState state = bsm::v1::MEMBER_STATE_UP) {
    leave_on_disk(bsm::outbox_target("node-b"), 0, n);
    ingress = sys.spawn(bsm::test::holder<LinkBatch, LinkAck>, log);
    directory->set_incarnation(7);
    directory->set_connection("node-b", ingress);
    set_peer_state(state);
    auto env = make_env();
    env.directory = directory;
    box = sys.spawn(bsm::outbox, env, "node-b", reader, caf::actor_addr{});
    settle();
  }

  /// Acknowledges batch `i` (counting from 0) up to `up_to`.
  void ack(uint64_t i, uint64_t up_to) {
    ASSERT_LT(i, log->held.size());
    LinkAck a;
    a.set_up_to_seq(up_to);
    answer(ingress, i, std::move(a));
  }

  std::shared_ptr<bsm::cluster::directory> directory
    = std::make_shared<bsm::cluster::directory>("node-a", names);
  std::shared_ptr<peer_log> log = std::make_shared<peer_log>();
  caf::actor ingress;
  bsm::mailbox_actor box;
};

TEST_F(OutboxActor, SendsBatchesUpToThePipelineAndNoMore) {
  start(7);
  ASSERT_EQ(log->got.size(), 2u);
  EXPECT_EQ(seqs_of(log->got[0]), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(seqs_of(log->got[1]), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(log->got[1].oldest_unacked(), 0u);
  EXPECT_EQ(log->got[0].from_node(), "node-a");
  EXPECT_EQ(log->got[0].from_incarnation(), 7u);
  ack(0, 1);
  ASSERT_EQ(log->got.size(), 3u);
  EXPECT_EQ(seqs_of(log->got[2]), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(log->got[2].oldest_unacked(), 2u);
  EXPECT_EQ(metrics.acknowledged.value(), 2u);
}

TEST_F(OutboxActor, ABatchNotAcknowledgedInTimeIsSentAgainInOrder) {
  start(3);
  ASSERT_EQ(log->got.size(), 2u);
  pass(9'999ms);
  EXPECT_EQ(log->got.size(), 2u);
  pass(1ms); // both batches time out; the resend waits the backoff
  EXPECT_EQ(log->got.size(), 2u);
  pass(99ms);
  EXPECT_EQ(log->got.size(), 2u);
  pass(1ms);
  ASSERT_EQ(log->got.size(), 4u);
  EXPECT_EQ(seqs_of(log->got[2]), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(seqs_of(log->got[3]), (std::vector<uint64_t>{2}));
  EXPECT_EQ(log->got[2].oldest_unacked(), 0u);
  // A late ack of a batch given up on acknowledges nothing.
  ack(0, 1);
  EXPECT_EQ(metrics.acknowledged.value(), 0u);
  ack(2, 1);
  ack(3, 2);
  EXPECT_EQ(metrics.acknowledged.value(), 3u);
}

TEST_F(OutboxActor, WaitsForItsPeerToComeUp) {
  start(1, bsm::v1::MEMBER_STATE_DOWN);
  EXPECT_TRUE(log->got.empty());
  pass(100ms);
  EXPECT_TRUE(log->got.empty());
  set_peer_state(bsm::v1::MEMBER_STATE_UP);
  pass(99ms);
  EXPECT_TRUE(log->got.empty());
  pass(1ms);
  ASSERT_EQ(log->got.size(), 1u);
  EXPECT_EQ(seqs_of(log->got[0]), (std::vector<uint64_t>{0}));
}

} // namespace
