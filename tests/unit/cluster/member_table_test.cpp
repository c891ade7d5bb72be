// The failure detector on made-up clocks: states by heartbeat age,
// incarnation rules, members learned from gossip, forgetting, forgiving a
// stall of this node, and which messages may be acted on.

#include "runtime/cluster/member_table.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using bsm::cluster::detector_options;
using bsm::cluster::member_table;
using bsm::cluster::steady_time;
using bsm::cluster::transition;
using bsm::v1::MemberRecord;
using bsm::v1::MemberState;
using ms = std::chrono::milliseconds;

constexpr auto unspecified = bsm::v1::MEMBER_STATE_UNSPECIFIED;
constexpr auto up = bsm::v1::MEMBER_STATE_UP;
constexpr auto suspect = bsm::v1::MEMBER_STATE_SUSPECT;
constexpr auto down = bsm::v1::MEMBER_STATE_DOWN;
constexpr auto left = bsm::v1::MEMBER_STATE_LEFT;

MemberRecord record(const std::string& name, uint64_t incarnation,
                    const std::string& address = "127.0.0.1:7100") {
  MemberRecord rec;
  rec.set_name(name);
  rec.set_incarnation(incarnation);
  rec.set_cluster_address(address);
  return rec;
}

class MemberTable : public ::testing::Test {
protected:
  // Suspect after 100 ms of silence, down after 200 ms.
  static constexpr int64_t unix_origin_ms = 1'700'000'000'000;

  bool heartbeat(const std::string& name, uint64_t incarnation, ms at) {
    return table.on_heartbeat(record(name, incarnation), t0 + at,
                              unix_origin_ms + at.count(), ts);
  }

  void tick(ms at) {
    table.tick(t0 + at, ts);
  }

  MemberState state_of(const std::string& name) const {
    const auto* m = table.find(name);
    return m ? m->state : unspecified;
  }

  /// Brings `name` up at `incarnation` and silences it until it is down.
  void make_down(const std::string& name, uint64_t incarnation) {
    ASSERT_TRUE(heartbeat(name, incarnation, 0ms));
    tick(500ms);
    ASSERT_EQ(state_of(name), down);
    ts.clear();
  }

  // Any origin will do: the table only compares time points.
  const steady_time t0 = steady_time{} + 1h;
  member_table table{"self", detector_options{100ms, 200ms}};
  std::vector<transition> ts;
};

void expect_transition(const transition& t, const std::string& name,
                       MemberState from, MemberState to, uint64_t incarnation) {
  EXPECT_EQ(t.name, name);
  EXPECT_EQ(t.from, from);
  EXPECT_EQ(t.to, to);
  EXPECT_EQ(t.incarnation, incarnation);
}

TEST_F(MemberTable, FirstHeartbeatMakesAMemberUp) {
  EXPECT_TRUE(heartbeat("node-b", 3, 5ms));
  EXPECT_EQ(state_of("node-b"), up);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", unspecified, up, 3);
  const auto* m = table.find("node-b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->record.cluster_address(), "127.0.0.1:7100");
  EXPECT_EQ(m->record.incarnation(), 3u);
  EXPECT_EQ(m->last_seen, t0 + 5ms);
  EXPECT_EQ(m->last_seen_unix_ms, unix_origin_ms + 5);
  EXPECT_EQ(m->dead_up_to, 0u);
}

TEST_F(MemberTable, SilenceMakesAMemberSuspectThenDown) {
  ASSERT_TRUE(heartbeat("node-b", 1, 0ms));
  ts.clear();
  tick(50ms);
  EXPECT_EQ(state_of("node-b"), up);
  EXPECT_TRUE(ts.empty());
  tick(150ms);
  EXPECT_EQ(state_of("node-b"), suspect);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, suspect, 1);
  tick(190ms);
  EXPECT_EQ(ts.size(), 1u) << "still suspect: no new transition";
  tick(250ms);
  EXPECT_EQ(state_of("node-b"), down);
  ASSERT_EQ(ts.size(), 2u);
  expect_transition(ts[1], "node-b", suspect, down, 1);
  EXPECT_EQ(table.find("node-b")->dead_up_to, 1u);
  tick(10s);
  EXPECT_EQ(ts.size(), 2u) << "down stays down without new transitions";
}

TEST_F(MemberTable, LongSilenceGoesFromUpStraightToDown) {
  ASSERT_TRUE(heartbeat("node-b", 1, 0ms));
  ts.clear();
  tick(300ms);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, down, 1);
}

TEST_F(MemberTable, RegularHeartbeatsKeepAMemberUp) {
  for (auto at = 0ms; at <= 1s; at += 80ms) {
    ASSERT_TRUE(heartbeat("node-b", 1, at));
    tick(at + 70ms);
    EXPECT_EQ(state_of("node-b"), up) << at.count();
  }
  EXPECT_EQ(ts.size(), 1u) << "only the first heartbeat is a transition";
}

TEST_F(MemberTable, SuspectMemberIsUpAgainWithItsNextHeartbeat) {
  ASSERT_TRUE(heartbeat("node-b", 1, 0ms));
  tick(150ms);
  ASSERT_EQ(state_of("node-b"), suspect);
  ts.clear();
  EXPECT_TRUE(heartbeat("node-b", 1, 160ms));
  EXPECT_EQ(state_of("node-b"), up);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", suspect, up, 1);
}

TEST_F(MemberTable, DownMemberIsRefusedAtTheSameIncarnation) {
  make_down("node-b", 4);
  EXPECT_FALSE(heartbeat("node-b", 4, 600ms));
  EXPECT_EQ(state_of("node-b"), down);
  EXPECT_TRUE(ts.empty());
  EXPECT_EQ(table.find("node-b")->last_seen_unix_ms, unix_origin_ms)
    << "a refused heartbeat changes nothing";
  EXPECT_FALSE(table.accepts("node-b", 4));
}

TEST_F(MemberTable, DownMemberIsUpAgainWithAHigherIncarnation) {
  make_down("node-b", 4);
  EXPECT_TRUE(heartbeat("node-b", 5, 600ms));
  EXPECT_EQ(state_of("node-b"), up);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", down, up, 5);
  EXPECT_TRUE(table.accepts("node-b", 5));
  EXPECT_FALSE(table.accepts("node-b", 4));
  EXPECT_EQ(table.find("node-b")->dead_up_to, 4u);
}

TEST_F(MemberTable, HeartbeatFromAnOlderIncarnationIsIgnored) {
  ASSERT_TRUE(heartbeat("node-b", 3, 0ms));
  ts.clear();
  EXPECT_FALSE(heartbeat("node-b", 2, 150ms));
  EXPECT_EQ(table.find("node-b")->record.incarnation(), 3u);
  EXPECT_TRUE(ts.empty());
  // The stale heartbeat did not count as a sign of life.
  tick(150ms);
  EXPECT_EQ(state_of("node-b"), suspect);
}

TEST_F(MemberTable, LeaveMarksAMemberLeftAtOnce) {
  ASSERT_TRUE(heartbeat("node-b", 2, 0ms));
  ts.clear();
  table.on_leave("node-b", 2, ts);
  EXPECT_EQ(state_of("node-b"), left);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, left, 2);
  EXPECT_FALSE(table.accepts("node-b", 2));
  EXPECT_FALSE(heartbeat("node-b", 2, 10ms)) << "it left at incarnation 2";
  EXPECT_EQ(state_of("node-b"), left);
  tick(10s);
  EXPECT_EQ(state_of("node-b"), left) << "ageing does not touch left members";
  EXPECT_TRUE(heartbeat("node-b", 3, 20ms)) << "a restart may rejoin";
  EXPECT_EQ(state_of("node-b"), up);
}

TEST_F(MemberTable,
       LeaveOrStopFromAnOlderIncarnationOrAnUnknownMemberIsIgnored) {
  ASSERT_TRUE(heartbeat("node-b", 3, 0ms));
  ts.clear();
  table.on_leave("node-b", 2, ts);
  table.on_stopping("node-b", 2, ts);
  EXPECT_EQ(state_of("node-b"), up);
  table.on_leave("node-x", 1, ts);
  table.on_stopping("node-x", 1, ts);
  EXPECT_EQ(table.find("node-x"), nullptr);
  EXPECT_TRUE(ts.empty());
}

TEST_F(MemberTable, LeaveAtANewerIncarnationRecordsIt) {
  ASSERT_TRUE(heartbeat("node-b", 3, 0ms));
  ts.clear();
  table.on_leave("node-b", 5, ts);
  EXPECT_EQ(state_of("node-b"), left);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, left, 5);
  EXPECT_FALSE(heartbeat("node-b", 5, 10ms));
  EXPECT_TRUE(heartbeat("node-b", 6, 20ms));
}

// A decommission: leaving while it hands its state over (accepted, ages
// like an up member), left once it says so.
TEST_F(MemberTable, AHandingOffMemberIsLeavingThenLeft) {
  ASSERT_TRUE(heartbeat("node-b", 1, 0ms));
  ts.clear();
  ASSERT_TRUE(table.on_heartbeat(record("node-b", 1), t0 + 10ms,
                                 unix_origin_ms + 10, ts, true));
  EXPECT_EQ(state_of("node-b"), bsm::v1::MEMBER_STATE_LEAVING);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, bsm::v1::MEMBER_STATE_LEAVING, 1);
  EXPECT_TRUE(table.accepts("node-b", 1));
  tick(150ms);
  EXPECT_EQ(state_of("node-b"), suspect);
  ASSERT_TRUE(table.on_heartbeat(record("node-b", 1), t0 + 160ms,
                                 unix_origin_ms + 160, ts, true));
  EXPECT_EQ(state_of("node-b"), bsm::v1::MEMBER_STATE_LEAVING);
  table.on_leave("node-b", 1, ts);
  EXPECT_EQ(state_of("node-b"), left);
  EXPECT_FALSE(table.accepts("node-b", 1));
}

TEST_F(MemberTable, StoppingMarksAMemberDownAtOnceNotLeft) {
  ASSERT_TRUE(heartbeat("node-b", 2, 0ms));
  ts.clear();
  table.on_stopping("node-b", 2, ts);
  EXPECT_EQ(state_of("node-b"), down) << "it comes back: not left";
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, down, 2);
  EXPECT_FALSE(table.accepts("node-b", 2));
  EXPECT_FALSE(heartbeat("node-b", 2, 10ms))
    << "a late heartbeat of the stopped run must not bring it back";
  tick(10s);
  EXPECT_EQ(state_of("node-b"), down);
  EXPECT_TRUE(heartbeat("node-b", 3, 20ms)) << "its next run rejoins";
  EXPECT_EQ(state_of("node-b"), up);
}

TEST_F(MemberTable, StoppingOfAMemberKnownOnlyFromGossipRecordsItsRun) {
  MemberRecord rec = record("node-b", 4);
  ASSERT_TRUE(table.learn(rec));
  table.on_stopping("node-b", 4, ts);
  EXPECT_EQ(state_of("node-b"), down);
  EXPECT_FALSE(heartbeat("node-b", 4, 10ms)) << "that run has stopped";
  EXPECT_TRUE(heartbeat("node-b", 5, 20ms));
}

TEST_F(MemberTable, ConnectionLossMakesOnlyAnUpMemberSuspect) {
  make_down("node-c", 1);
  ASSERT_TRUE(heartbeat("node-b", 1, 450ms));
  ASSERT_TRUE(heartbeat("node-d", 1, 450ms));
  table.on_leave("node-d", 1, ts);
  ts.clear();

  table.on_connection_lost("node-b", ts);
  EXPECT_EQ(state_of("node-b"), suspect);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", up, suspect, 1);

  table.on_connection_lost("node-b", ts); // already suspect
  table.on_connection_lost("node-c", ts); // down
  table.on_connection_lost("node-d", ts); // left
  table.on_connection_lost("node-x", ts); // unknown
  EXPECT_EQ(ts.size(), 1u);
  EXPECT_EQ(state_of("node-c"), down);
  EXPECT_EQ(state_of("node-d"), left);
  EXPECT_EQ(table.find("node-x"), nullptr);

  // Suspect, not dead: the next heartbeat at the same incarnation counts.
  EXPECT_TRUE(table.accepts("node-b", 1));
  EXPECT_TRUE(heartbeat("node-b", 1, 460ms));
  EXPECT_EQ(state_of("node-b"), up);
}

TEST_F(MemberTable, LearnedMemberIsDownUntilItsFirstHeartbeat) {
  EXPECT_TRUE(table.learn(record("node-b", 4, "127.0.0.1:7200")));
  const auto* m = table.find("node-b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, down);
  EXPECT_EQ(m->last_seen_unix_ms, 0);
  EXPECT_EQ(m->dead_up_to, 0u);
  EXPECT_EQ(m->record.cluster_address(), "127.0.0.1:7200");
  EXPECT_TRUE(ts.empty()) << "learning is not a transition";
  EXPECT_FALSE(table.accepts("node-b", 4)) << "not heard from yet";
  tick(10s);
  EXPECT_TRUE(ts.empty());
  // Never heard from, so never declared dead: its own heartbeat at the
  // incarnation gossip reported is welcome.
  EXPECT_TRUE(heartbeat("node-b", 4, 10s));
  EXPECT_EQ(state_of("node-b"), up);
  ASSERT_EQ(ts.size(), 1u);
  expect_transition(ts[0], "node-b", down, up, 4);
  EXPECT_TRUE(table.accepts("node-b", 4));
}

TEST_F(MemberTable, LearnedMemberRefusesAnOlderIncarnationThanGossipReported) {
  ASSERT_TRUE(table.learn(record("node-b", 4)));
  EXPECT_FALSE(heartbeat("node-b", 3, 0ms));
  EXPECT_EQ(state_of("node-b"), down);
}

TEST_F(MemberTable, LearningAKnownMemberOnlyFillsAMissingAddress) {
  ASSERT_TRUE(
    table.on_heartbeat(record("node-b", 2, ""), t0, unix_origin_ms, ts));
  EXPECT_FALSE(table.learn(record("node-b", 9, "127.0.0.1:7300")));
  EXPECT_EQ(table.find("node-b")->record.cluster_address(), "127.0.0.1:7300");
  EXPECT_FALSE(table.learn(record("node-b", 9, "127.0.0.1:7400")));
  const auto* m = table.find("node-b");
  EXPECT_EQ(m->record.cluster_address(), "127.0.0.1:7300");
  EXPECT_EQ(m->record.incarnation(), 2u);
  EXPECT_EQ(m->state, up);
}

TEST_F(MemberTable, LearnIgnoresThisNodeAndNamelessRecords) {
  EXPECT_FALSE(table.learn(record("self", 1)));
  EXPECT_FALSE(table.learn(record("", 1)));
  EXPECT_TRUE(table.members().empty());
}

TEST_F(MemberTable, HeartbeatsNamingThisNodeAreIgnored) {
  EXPECT_FALSE(heartbeat("self", 1, 0ms));
  EXPECT_FALSE(heartbeat("", 1, 0ms));
  EXPECT_TRUE(table.members().empty());
  EXPECT_TRUE(ts.empty());
  EXPECT_EQ(table.self(), "self");
}

TEST_F(MemberTable, ForgetRemovesOnlyDownOrLeftMembers) {
  ASSERT_TRUE(heartbeat("node-up", 1, 0ms));
  ASSERT_TRUE(heartbeat("node-suspect", 1, 0ms));
  table.on_connection_lost("node-suspect", ts);
  ASSERT_TRUE(heartbeat("node-left", 1, 0ms));
  table.on_leave("node-left", 1, ts);
  ASSERT_TRUE(table.learn(record("node-learned", 1)));
  ASSERT_TRUE(heartbeat("node-down", 1, -300ms));
  tick(0ms);
  ASSERT_EQ(state_of("node-down"), down);
  ASSERT_EQ(state_of("node-suspect"), suspect);

  for (auto name : {"node-up", "node-suspect", "node-left", "node-learned",
                    "node-down", "node-unknown"})
    table.forget(name);
  EXPECT_NE(table.find("node-up"), nullptr);
  EXPECT_NE(table.find("node-suspect"), nullptr);
  EXPECT_EQ(table.find("node-left"), nullptr);
  EXPECT_EQ(table.find("node-learned"), nullptr);
  EXPECT_EQ(table.find("node-down"), nullptr);
  EXPECT_EQ(table.members().size(), 2u);
}

TEST_F(MemberTable, ForgiveSilenceRestartsTheClocksOfLiveMembers) {
  make_down("node-d", 1);
  ASSERT_TRUE(heartbeat("node-b", 1, 0ms));
  ASSERT_TRUE(heartbeat("node-c", 1, 0ms));
  table.on_connection_lost("node-c", ts);
  ts.clear();

  // This node stalled for a second; nobody else was silent.
  table.forgive_silence(t0 + 1s);
  tick(1s + 50ms);
  EXPECT_EQ(state_of("node-b"), up);
  EXPECT_EQ(state_of("node-c"), suspect);
  EXPECT_EQ(state_of("node-d"), down) << "forgiving does not revive";
  EXPECT_TRUE(ts.empty());
  EXPECT_FALSE(heartbeat("node-d", 1, 1s + 60ms));

  // The clocks run again from the stall's end.
  tick(1s + 150ms);
  EXPECT_EQ(state_of("node-b"), suspect);
  tick(1s + 250ms);
  EXPECT_EQ(state_of("node-b"), down);
  EXPECT_EQ(state_of("node-c"), down);
}

TEST_F(MemberTable, AcceptsFollowsTheMemberStateAndIncarnation) {
  EXPECT_FALSE(table.accepts("node-x", 1)) << "unknown";

  ASSERT_TRUE(heartbeat("node-up", 3, 0ms));
  EXPECT_TRUE(table.accepts("node-up", 3));
  EXPECT_TRUE(table.accepts("node-up", 4)) << "newer than known";
  EXPECT_FALSE(table.accepts("node-up", 2)) << "older than known";

  ASSERT_TRUE(heartbeat("node-suspect", 3, 0ms));
  table.on_connection_lost("node-suspect", ts);
  EXPECT_TRUE(table.accepts("node-suspect", 3));
  EXPECT_FALSE(table.accepts("node-suspect", 2));

  ASSERT_TRUE(heartbeat("node-left", 3, 0ms));
  table.on_leave("node-left", 3, ts);
  EXPECT_FALSE(table.accepts("node-left", 3));

  make_down("node-down", 3);
  EXPECT_FALSE(table.accepts("node-down", 3));
  // Not before its heartbeat brings it up (directory::accepts states the
  // same rule: up or suspect only).
  EXPECT_FALSE(table.accepts("node-down", 4));
}

// A goodbye proves the member ran: a member known only from gossip or
// Redis whose first direct message is its goodbye stays left at that
// incarnation, so a late heartbeat of it does not bring it back.
TEST_F(MemberTable, LeftMemberLearnedFromGossipStaysLeft) {
  ASSERT_TRUE(table.learn(record("node-b", 2)));
  table.on_leave("node-b", 2, ts);
  ASSERT_EQ(state_of("node-b"), left);
  EXPECT_FALSE(heartbeat("node-b", 2, 10ms));
  EXPECT_EQ(state_of("node-b"), left);
  EXPECT_FALSE(table.accepts("node-b", 2));
}

} // namespace
