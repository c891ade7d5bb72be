// The cluster port's refusals and forwarding in one process: the ingress
// actor with a real directory, name registry and type registry, asking the
// real node_info actor. What other nodes send is built by hand, so each
// error path (a stranger, a stale incarnation, a passed deadline, an
// unknown type or target, a router that is not running) is hit on purpose.

#include "actors/cluster_ingress.hpp"

#include <gtest/gtest.h>

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/sinks/null_sink.h>

#include "actors/mailbox_router.hpp"
#include "actors/node_info_actor.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/store/failing_fs.hpp"

namespace {

using namespace std::chrono_literals;

constexpr uint64_t peer_incarnation = 3;

class ClusterIngress : public ::testing::Test {
protected:
  ClusterIngress() {
    bsm::cluster::member_info peer;
    peer.record.set_name("node-b");
    peer.record.set_incarnation(peer_incarnation);
    peer.state = bsm::v1::MEMBER_STATE_UP;
    bsm::cluster::member_info gone = peer;
    gone.record.set_name("node-c");
    gone.state = bsm::v1::MEMBER_STATE_DOWN;
    directory->set_members({peer, gone});
    bsm::cluster_ingress_env env;
    env.names = names;
    env.directory = directory;
    env.types = &types;
    env.log = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::null_sink_mt>());
    env.max_ask_timeout = 10s;
    ingress = sys.spawn(bsm::cluster_ingress, env);
    bsm::node_info_options info;
    info.node_name = "node-a";
    node_info = sys.spawn(bsm::node_info, info);
    EXPECT_FALSE(
      names->put("node_info", caf::actor_cast<caf::actor>(node_info)));
  }

  ~ClusterIngress() override {
    stop();
  }

  /// Stops the actors and waits until they are gone.
  void stop() {
    if (!ingress)
      return;
    caf::anon_send_exit(ingress, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(node_info, caf::exit_reason::user_shutdown);
    ingress = nullptr;
    node_info = nullptr;
    sys.await_all_actors_done();
  }

  template <class Response, class Request>
  caf::expected<Response> ask(const Request& req) {
    caf::expected<Response> result{caf::error{}};
    caf::scoped_actor self{sys};
    self->request(ingress, 10s, req)
      .receive([&](Response& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// A ping for `target` as node `from` at `incarnation` would forward it.
  template <class Message>
  static Message ping_from(const std::string& from, uint64_t incarnation,
                           const std::string& target = "node_info") {
    bsm::v1::PingRequest ping;
    ping.set_sequence(7);
    ping.set_payload("hello");
    Message msg;
    msg.set_from_node(from);
    msg.set_from_incarnation(incarnation);
    auto& envelope = *msg.mutable_envelope();
    envelope.set_target(target);
    envelope.set_type_name("bsm.v1.PingRequest");
    envelope.set_payload(ping.SerializeAsString());
    return msg;
  }

  static bsm::v1::RemoteAskRequest
  ask_from(const std::string& from, uint64_t incarnation,
           const std::string& target = "node_info") {
    auto req = ping_from<bsm::v1::RemoteAskRequest>(from, incarnation, target);
    req.mutable_envelope()->set_deadline_unix_ms(bsm::unix_now_ms() + 10'000);
    return req;
  }

  /// Registers a blocking actor of the test under `path`.
  void register_probe(caf::scoped_actor& probe, const std::string& path) {
    ASSERT_FALSE(names->put(path, caf::actor_cast<caf::actor>(probe)));
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  std::shared_ptr<bsm::cluster::directory> directory
    = std::make_shared<bsm::cluster::directory>("node-a", names);
  bsm::type_registry types = bsm::type_registry::with_bsm_v1_types();
  bsm::cluster_ingress_actor ingress;
  bsm::node_info_actor node_info;
};

TEST_F(ClusterIngress, AnswersAnAskFromALiveMember) {
  auto resp
    = ask<bsm::v1::RemoteAskResponse>(ask_from("node-b", peer_incarnation));
  ASSERT_TRUE(resp) << bsm::render(resp.error());
  EXPECT_EQ(resp->reply().type_name(), "bsm.v1.PingResponse");
  bsm::v1::PingResponse pong;
  ASSERT_TRUE(pong.ParseFromString(resp->reply().payload()));
  EXPECT_EQ(pong.sequence(), 7u);
  EXPECT_EQ(pong.node(), "node-a");
}

// A streamed ask: the local target gets the asking node's sink after the
// message, and what it sends there reaches the sink before the answer.
TEST_F(ClusterIngress, AStreamedAskHandsTheSinkToTheTarget) {
  auto streamer = sys.spawn([]() -> caf::behavior {
    return {
      [](bsm::v1::PingRequest& ping,
         caf::actor& sink) -> bsm::v1::PingResponse {
        bsm::v1::ChatDelta delta;
        delta.set_content("piece " + std::to_string(ping.sequence()));
        caf::anon_send(sink, std::move(delta));
        bsm::v1::PingResponse pong;
        pong.set_sequence(ping.sequence());
        return pong;
      },
    };
  });
  ASSERT_FALSE(names->put("streamer", streamer));
  caf::scoped_actor self{sys};
  std::optional<bsm::v1::RemoteAskResponse> resp;
  self
    ->request(ingress, 10s, ask_from("node-b", peer_incarnation, "streamer"),
              caf::actor_cast<caf::actor>(self))
    .receive([&](bsm::v1::RemoteAskResponse& x) { resp = std::move(x); },
             [&](caf::error& err) { ADD_FAILURE() << bsm::render(err); });
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->reply().type_name(), "bsm.v1.PingResponse");
  std::string piece;
  self->receive([&](bsm::v1::ChatDelta& delta) { piece = delta.content(); },
                caf::after(10s) >> [] { ADD_FAILURE() << "no delta"; });
  EXPECT_EQ(piece, "piece 7");
  // A plain ask of the same target has no sink to give: not handled.
  auto plain = ask<bsm::v1::RemoteAskResponse>(
    ask_from("node-b", peer_incarnation, "streamer"));
  EXPECT_FALSE(plain);
  caf::anon_send_exit(streamer, caf::exit_reason::user_shutdown);
}

TEST_F(ClusterIngress, AnAskWithoutDeadlineGetsTheLongestAllowed) {
  auto req = ask_from("node-b", peer_incarnation);
  req.mutable_envelope()->set_deadline_unix_ms(0);
  auto resp = ask<bsm::v1::RemoteAskResponse>(req);
  ASSERT_TRUE(resp) << bsm::render(resp.error());
  EXPECT_EQ(resp->reply().type_name(), "bsm.v1.PingResponse");
}

TEST_F(ClusterIngress,
       RefusesAsksFromStrangersDownMembersAndStaleIncarnations) {
  for (auto [node, incarnation] : {std::pair{"node-x", peer_incarnation},
                                   std::pair{"node-c", peer_incarnation},
                                   std::pair{"node-b", peer_incarnation - 1}}) {
    auto resp = ask<bsm::v1::RemoteAskResponse>(ask_from(node, incarnation));
    ASSERT_FALSE(resp) << node;
    EXPECT_TRUE(bsm::is(resp.error(), bsm::errc::unavailable))
      << bsm::render(resp.error());
  }
}

TEST_F(ClusterIngress, RefusesAnAskForAnUnknownTypeOrTarget) {
  auto req = ask_from("node-b", peer_incarnation);
  req.mutable_envelope()->set_type_name("bsm.v1.NoSuchMessage");
  auto unknown_type = ask<bsm::v1::RemoteAskResponse>(req);
  ASSERT_FALSE(unknown_type);
  EXPECT_TRUE(bsm::is(unknown_type.error(), bsm::errc::not_found))
    << bsm::render(unknown_type.error());
  auto nobody = ask<bsm::v1::RemoteAskResponse>(
    ask_from("node-b", peer_incarnation, "nobody"));
  ASSERT_FALSE(nobody);
  EXPECT_TRUE(bsm::is(nobody.error(), bsm::errc::not_found))
    << bsm::render(nobody.error());
}

TEST_F(ClusterIngress, RefusesAnAskWhoseDeadlinePassedOnTheWay) {
  auto req = ask_from("node-b", peer_incarnation);
  req.mutable_envelope()->set_deadline_unix_ms(bsm::unix_now_ms() - 1);
  auto resp = ask<bsm::v1::RemoteAskResponse>(req);
  ASSERT_FALSE(resp);
  EXPECT_TRUE(bsm::is(resp.error(), bsm::errc::deadline_exceeded))
    << bsm::render(resp.error());
}

TEST_F(ClusterIngress, PassesTheTargetsErrorBack) {
  // A probe that answers every ping with an error, as a failing handler does.
  auto failing = sys.spawn([]() -> caf::behavior {
    return {[](bsm::v1::PingRequest&) -> caf::result<bsm::v1::PingResponse> {
      return bsm::make_error(bsm::errc::failed_precondition, "not today");
    }};
  });
  ASSERT_FALSE(names->put("failing", failing));
  auto resp = ask<bsm::v1::RemoteAskResponse>(
    ask_from("node-b", peer_incarnation, "failing"));
  ASSERT_FALSE(resp);
  EXPECT_TRUE(bsm::is(resp.error(), bsm::errc::failed_precondition))
    << bsm::render(resp.error());
  caf::anon_send_exit(failing, caf::exit_reason::user_shutdown);
}

TEST_F(ClusterIngress, DeliversTellsOfLiveMembersAndDropsTheRest) {
  caf::scoped_actor probe{sys};
  register_probe(probe, "probe");
  // Dropped, in order before the one that arrives: a stranger, a stale
  // incarnation, an unknown type, an unknown target.
  caf::anon_send(ingress, ping_from<bsm::v1::RemoteTell>(
                            "node-x", peer_incarnation, "probe"));
  caf::anon_send(ingress, ping_from<bsm::v1::RemoteTell>(
                            "node-b", peer_incarnation - 1, "probe"));
  auto bad_type
    = ping_from<bsm::v1::RemoteTell>("node-b", peer_incarnation, "probe");
  bad_type.mutable_envelope()->set_type_name("bsm.v1.NoSuchMessage");
  caf::anon_send(ingress, bad_type);
  caf::anon_send(ingress, ping_from<bsm::v1::RemoteTell>(
                            "node-b", peer_incarnation, "nobody"));
  auto good
    = ping_from<bsm::v1::RemoteTell>("node-b", peer_incarnation, "probe");
  good.mutable_envelope()->set_payload([] {
    bsm::v1::PingRequest ping;
    ping.set_sequence(42);
    return ping.SerializeAsString();
  }());
  caf::anon_send(ingress, good);
  uint64_t seen = 0;
  probe->receive([&](bsm::v1::PingRequest& ping) { seen = ping.sequence(); },
                 caf::after(30s) >> [] {});
  EXPECT_EQ(seen, 42u);
}

TEST_F(ClusterIngress, ServesNoHashedNameWhileThisNodeIsJoining) {
  caf::scoped_actor probe{sys};
  register_probe(probe, "probe");
  directory->set_placements({{"node_info", bsm::cluster::placement{}},
                             {"probe", bsm::cluster::placement{}}});
  directory->set_join(bsm::cluster::join_state::joining);
  auto tell_with = [](uint64_t sequence) {
    auto tell
      = ping_from<bsm::v1::RemoteTell>("node-b", peer_incarnation, "probe");
    bsm::v1::PingRequest ping;
    ping.set_sequence(sequence);
    tell.mutable_envelope()->set_payload(ping.SerializeAsString());
    return tell;
  };
  // Dropped: handled before the ask below, which is answered while joining.
  caf::anon_send(ingress, tell_with(1));
  auto refused
    = ask<bsm::v1::RemoteAskResponse>(ask_from("node-b", peer_incarnation));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(bsm::is(refused.error(), bsm::errc::unavailable));
  EXPECT_NE(bsm::render(refused.error()).find("has not joined"),
            std::string::npos)
    << bsm::render(refused.error());
  directory->set_join(bsm::cluster::join_state::joined);
  caf::anon_send(ingress, tell_with(2));
  uint64_t seen = 0;
  probe->receive([&](bsm::v1::PingRequest& ping) { seen = ping.sequence(); },
                 caf::after(30s) >> [] {});
  EXPECT_EQ(seen, 2u) << "the tell sent while joining was delivered";
  auto answered
    = ask<bsm::v1::RemoteAskResponse>(ask_from("node-b", peer_incarnation));
  EXPECT_TRUE(answered) << bsm::render(answered.error());
}

TEST_F(ClusterIngress, ForwardsHeartbeatsToTheMembershipWhenItRuns) {
  bsm::v1::Heartbeat lost;
  lost.mutable_from()->set_name("lost");
  // No membership actor yet: the heartbeat goes nowhere, and the ingress
  // keeps serving.
  caf::anon_send(ingress, lost);
  ASSERT_TRUE(
    ask<bsm::v1::RemoteAskResponse>(ask_from("node-b", peer_incarnation)));
  caf::scoped_actor membership{sys};
  register_probe(membership, bsm::cluster_membership_path);
  bsm::v1::Heartbeat hb;
  hb.mutable_from()->set_name("node-b");
  caf::anon_send(ingress, hb);
  std::string from;
  membership->receive([&](bsm::v1::Heartbeat& x) { from = x.from().name(); },
                      caf::after(30s) >> [] {});
  EXPECT_EQ(from, "node-b");
}

TEST_F(ClusterIngress, RefusesSendsAndBatchesWhileTheRouterIsNotRunning) {
  bsm::v1::SendRequest send;
  send.mutable_envelope()->set_target("node_info");
  auto sent = ask<bsm::v1::SendResponse>(send);
  ASSERT_FALSE(sent);
  EXPECT_TRUE(bsm::is(sent.error(), bsm::errc::unavailable))
    << bsm::render(sent.error());
  bsm::v1::LinkBatch batch;
  batch.set_from_node("node-b");
  batch.set_from_incarnation(peer_incarnation);
  auto* entry = batch.add_entries();
  entry->set_link_seq(1);
  entry->mutable_envelope()->set_target("node_info");
  batch.set_oldest_unacked(1);
  auto acked = ask<bsm::v1::LinkAck>(batch);
  ASSERT_FALSE(acked);
  EXPECT_TRUE(bsm::is(acked.error(), bsm::errc::unavailable))
    << bsm::render(acked.error());
}

TEST_F(ClusterIngress, RefusesBatchesFromStrangersAndAcksAnEmptyOne) {
  bsm::v1::LinkBatch batch;
  batch.set_from_node("node-x");
  batch.set_from_incarnation(peer_incarnation);
  auto refused = ask<bsm::v1::LinkAck>(batch);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(bsm::is(refused.error(), bsm::errc::unavailable))
    << bsm::render(refused.error());
  batch.set_from_node("node-b");
  auto empty = ask<bsm::v1::LinkAck>(batch);
  ASSERT_TRUE(empty) << bsm::render(empty.error());
  EXPECT_EQ(empty->up_to_seq(), 0u);
  EXPECT_EQ(empty->refused_size(), 0);
}

// -- batches from another node's outbox, into the real mailbox router ------

class ClusterIngressBatches : public ClusterIngress {
protected:
  ClusterIngressBatches() {
    env = rocksdb::NewCompositeEnv(fs);
    auto s = bsm::store::open(dir_.path(), {}, env.get());
    EXPECT_TRUE(s) << bsm::render(s.error());
    if (!s)
      return;
    db = std::move(*s);
    writer = std::make_unique<bsm::store_writer>(*db);
    mm = std::make_unique<bsm::mailbox_metrics>(
      bsm::mailbox_metrics::make(metrics));
    bsm::mailbox_env menv;
    menv.db = db.get();
    menv.writer = writer.get();
    menv.types = &types;
    menv.names = names;
    menv.log = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::null_sink_mt>());
    menv.metrics = mm.get();
    router = sys.spawn(bsm::mailbox_router, menv);
    EXPECT_FALSE(names->put(bsm::mailbox_router_path,
                            caf::actor_cast<caf::actor>(router)));
    // The target never answers, so every appended entry stays on disk.
    inbox_actor = std::make_unique<caf::scoped_actor>(sys);
    EXPECT_FALSE(
      names->put("inbox", caf::actor_cast<caf::actor>(*inbox_actor)));
  }

  ~ClusterIngressBatches() override {
    // The router's mailboxes use the store until they stop.
    inbox_actor.reset();
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
    router = nullptr;
    stop();
  }

  /// A batch from node-b of pings to "inbox", one per link_seq in
  /// [first, last]; `oldest_unacked` as the sender would say.
  static bsm::v1::LinkBatch batch(uint64_t first, uint64_t last,
                                  uint64_t oldest_unacked) {
    bsm::v1::LinkBatch b;
    b.set_from_node("node-b");
    b.set_from_incarnation(peer_incarnation);
    b.set_oldest_unacked(oldest_unacked);
    for (auto seq = first; seq <= last; ++seq) {
      bsm::v1::PingRequest ping;
      ping.set_sequence(seq);
      auto* entry = b.add_entries();
      entry->set_link_seq(seq);
      auto& e = *entry->mutable_envelope();
      e.set_id("node-b-" + std::to_string(seq));
      e.set_target("inbox");
      e.set_type_name("bsm.v1.PingRequest");
      e.set_payload(ping.SerializeAsString());
    }
    return b;
  }

  /// Sequence numbers of the pings in the "inbox" mailbox on disk.
  std::vector<uint64_t> inbox() {
    bsm::v1::MailboxReadRequest req;
    req.set_target("inbox");
    req.set_to_seq(UINT64_MAX);
    req.set_max_entries(1000);
    std::vector<uint64_t> result;
    auto page = bsm::mailbox::read(*db, req);
    if (!page)
      return result;
    for (const auto& entry : page->entries()) {
      bsm::v1::PingRequest ping;
      ping.ParseFromString(entry.envelope().payload());
      result.push_back(ping.sequence());
    }
    return result;
  }

  bsm::test::temp_dir dir_;
  std::shared_ptr<bsm::test::failing_fs> fs
    = std::make_shared<bsm::test::failing_fs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env;
  std::unique_ptr<bsm::store> db;
  std::unique_ptr<bsm::store_writer> writer;
  bsm::metrics::registry metrics;
  std::unique_ptr<bsm::mailbox_metrics> mm;
  bsm::mailbox_router_actor router;
  /// A scoped actor counts as running: it goes before the others stop.
  std::unique_ptr<caf::scoped_actor> inbox_actor;
};

TEST_F(ClusterIngressBatches, AppendsABatchInLinkOrderAndAcksItsLastEntry) {
  auto ack = ask<bsm::v1::LinkAck>(batch(1, 3, 1));
  ASSERT_TRUE(ack) << bsm::render(ack.error());
  EXPECT_EQ(ack->up_to_seq(), 3u);
  EXPECT_EQ(ack->refused_size(), 0);
  // Sent again (the ack was lost): duplicates, appended once.
  auto again = ask<bsm::v1::LinkAck>(batch(1, 3, 1));
  ASSERT_TRUE(again) << bsm::render(again.error());
  EXPECT_EQ(again->up_to_seq(), 3u);
  EXPECT_EQ(inbox(), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(ClusterIngressBatches, RefusesEntriesNoRetryCanFixAndTakesTheRest) {
  auto b = batch(1, 3, 1);
  b.mutable_entries(1)->mutable_envelope()->set_type_name("bsm.v1.Nope");
  auto ack = ask<bsm::v1::LinkAck>(b);
  ASSERT_TRUE(ack) << bsm::render(ack.error());
  EXPECT_EQ(ack->up_to_seq(), 3u);
  ASSERT_EQ(ack->refused_size(), 1);
  EXPECT_EQ(ack->refused(0).link_seq(), 2u);
  EXPECT_NE(ack->refused(0).error().find("bsm.v1.Nope"), std::string::npos)
    << ack->refused(0).error();
  EXPECT_EQ(inbox(), (std::vector<uint64_t>{1, 3}));
}

TEST_F(ClusterIngressBatches, ABatchAfterAGapWaitsForTheEarlierOne) {
  // Nothing taken from node-b yet: only a batch at its oldest unacked.
  auto early = ask<bsm::v1::LinkAck>(batch(4, 5, 1));
  ASSERT_FALSE(early);
  EXPECT_TRUE(bsm::is(early.error(), bsm::errc::unavailable))
    << bsm::render(early.error());
  ASSERT_TRUE(ask<bsm::v1::LinkAck>(batch(1, 2, 1)));
  // 3 is next; a batch starting at 5 would overtake 3 and 4.
  auto gap = ask<bsm::v1::LinkAck>(batch(5, 6, 3));
  ASSERT_FALSE(gap);
  EXPECT_TRUE(bsm::is(gap.error(), bsm::errc::unavailable));
  auto next = ask<bsm::v1::LinkAck>(batch(3, 6, 3));
  ASSERT_TRUE(next) << bsm::render(next.error());
  EXPECT_EQ(next->up_to_seq(), 6u);
  EXPECT_EQ(inbox(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(ClusterIngressBatches,
       AFullDiskAcksNothingAndLaterBatchesWaitForTheResend) {
  *fs->full = true;
  auto failed = ask<bsm::v1::LinkAck>(batch(1, 2, 1));
  ASSERT_TRUE(failed) << bsm::render(failed.error());
  // Nothing durable, nothing refused for good: the sender resends from 1.
  EXPECT_EQ(failed->up_to_seq(), 0u);
  EXPECT_EQ(failed->refused_size(), 0);
  // A batch in flight behind the failed one must not overtake it.
  auto behind = ask<bsm::v1::LinkAck>(batch(3, 4, 1));
  ASSERT_FALSE(behind);
  EXPECT_TRUE(bsm::is(behind.error(), bsm::errc::unavailable))
    << bsm::render(behind.error());
}

} // namespace
