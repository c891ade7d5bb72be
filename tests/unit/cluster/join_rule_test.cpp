// When a starting node has joined its cluster, on made-up clocks: a
// cluster of one at once; otherwise a view (a member heard or the table
// read) in which every member reported up was heard from or declared down
// by this node's own detector; joined for good once it is.

#include "runtime/cluster/join_rule.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using bsm::cluster::join_rule;
using bsm::cluster::join_state;

constexpr auto unspecified = bsm::v1::MEMBER_STATE_UNSPECIFIED;
constexpr auto up = bsm::v1::MEMBER_STATE_UP;
constexpr auto suspect = bsm::v1::MEMBER_STATE_SUSPECT;
constexpr auto down = bsm::v1::MEMBER_STATE_DOWN;
constexpr auto left = bsm::v1::MEMBER_STATE_LEFT;

const join_rule::time_point t0{std::chrono::seconds{1000}};

// down_after 300 ms.
join_rule with_peers() {
  return join_rule{"node-a", true, 300ms};
}

TEST(JoinRule, ANodeWithoutSeedsOrTableIsASingleClusterAtOnce) {
  join_rule rule{"node-a", false, 300ms};
  EXPECT_EQ(rule.state(), join_state::single);
  EXPECT_EQ(rule.update(t0), join_state::single);
  EXPECT_STREQ(to_string(rule.state()), "single");
}

TEST(JoinRule, ANodeWithPeersIsJoiningUntilItHasAView) {
  auto rule = with_peers();
  EXPECT_EQ(rule.update(t0), join_state::joining);
  EXPECT_EQ(rule.update(t0 + 1h), join_state::joining)
    << "waiting long is no view: the seeds may all be restarting";
  EXPECT_STREQ(to_string(rule.state()), "joining");
}

TEST(JoinRule, HearingTheOnlyMemberJoins) {
  auto rule = with_peers();
  rule.heard("node-b");
  EXPECT_EQ(rule.update(t0), join_state::joined);
  EXPECT_STREQ(to_string(rule.state()), "joined");
}

TEST(JoinRule, WaitsForEveryMemberTheViewReportsUp) {
  auto rule = with_peers();
  rule.heard("node-b");
  rule.reported("node-c", up, t0);
  rule.reported("node-d", suspect, t0);
  EXPECT_EQ(rule.update(t0 + 10ms), join_state::joining);
  EXPECT_EQ(rule.waiting_for(t0 + 10ms),
            (std::vector<std::string>{"node-c", "node-d"}));
  rule.heard("node-c");
  EXPECT_EQ(rule.update(t0 + 20ms), join_state::joining);
  rule.heard("node-d");
  EXPECT_EQ(rule.update(t0 + 30ms), join_state::joined);
}

TEST(JoinRule, AMemberReportedDownOrLeftIsNotWaitedFor) {
  auto rule = with_peers();
  rule.heard("node-b");
  rule.reported("node-c", down, t0);
  rule.reported("node-d", left, t0);
  EXPECT_TRUE(rule.waiting_for(t0).empty());
  EXPECT_EQ(rule.update(t0), join_state::joined);
}

TEST(JoinRule, AReportFromAnOlderNodeWithoutStateCountsAsUp) {
  auto rule = with_peers();
  rule.heard("node-b");
  rule.reported("node-c", unspecified, t0);
  EXPECT_EQ(rule.update(t0), join_state::joining);
}

TEST(JoinRule, AMemberSilentHereForDownAfterIsDeclaredDownByItsDetector) {
  auto rule = with_peers();
  rule.heard("node-b");
  rule.reported("node-c", up, t0);
  EXPECT_EQ(rule.update(t0 + 300ms), join_state::joining)
    << "down_after has not passed yet";
  EXPECT_EQ(rule.update(t0 + 301ms), join_state::joined);
}

TEST(JoinRule, RepeatedReportsDoNotRestartTheDetectorsClock) {
  auto rule = with_peers();
  rule.heard("node-b");
  rule.reported("node-c", up, t0);
  rule.reported("node-c", suspect, t0 + 200ms);
  EXPECT_EQ(rule.update(t0 + 301ms), join_state::joined);
}

TEST(JoinRule, AMemberReportedUpAgainAfterDownIsWaitedForAgain) {
  auto rule = with_peers();
  rule.table_read();
  rule.reported("node-c", up, t0);
  rule.reported("node-c", down, t0 + 10ms);
  rule.reported("node-c", up, t0 + 250ms);
  EXPECT_EQ(rule.update(t0 + 400ms), join_state::joining)
    << "its clock starts again at its latest report up";
  EXPECT_EQ(rule.update(t0 + 551ms), join_state::joined);
}

TEST(JoinRule, ReadingTheTableIsAView) {
  auto rule = with_peers();
  rule.table_read();
  EXPECT_EQ(rule.update(t0), join_state::joined)
    << "an empty table: this node is the first member";
}

TEST(JoinRule, TheTablesLiveMembersMustBeHeardFrom) {
  auto rule = with_peers();
  rule.table_read();
  rule.reported("node-b", up, t0);
  rule.reported("node-c", down, t0);
  EXPECT_EQ(rule.update(t0), join_state::joining);
  rule.heard("node-b");
  EXPECT_EQ(rule.update(t0), join_state::joined);
}

TEST(JoinRule, ReportsAboutThisNodeItselfAreIgnored) {
  auto rule = with_peers();
  rule.heard("node-b");
  rule.reported("node-a", up, t0);
  rule.heard("node-a");
  EXPECT_TRUE(rule.waiting_for(t0).empty());
  EXPECT_EQ(rule.update(t0), join_state::joined);
}

TEST(JoinRule, OnceJoinedANewMemberDoesNotStopTheNodeServing) {
  auto rule = with_peers();
  rule.heard("node-b");
  ASSERT_EQ(rule.update(t0), join_state::joined);
  rule.reported("node-c", up, t0 + 1s);
  EXPECT_EQ(rule.update(t0 + 1s), join_state::joined);
}

} // namespace
