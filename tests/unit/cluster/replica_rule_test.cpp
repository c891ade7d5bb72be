// The epochs that order the nodes acting for a replicated name: a copy
// applies changes only from the holder of the epoch it knows, refuses an
// older one (a paused owner's late writes) and asks for the whole state
// on a newer one; claims only go up.

#include "runtime/cluster/replica_rule.hpp"

#include "runtime/cluster/directory.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using bsm::cluster::change_verdict;
using bsm::cluster::epoch_record;
using bsm::cluster::judge_change;
using bsm::cluster::judge_claim;

TEST(ReplicaRule, EpochRecordsRoundTripAndShortOnesAreRefused) {
  epoch_record x{0x0102030405060708ull, "node-b"};
  auto bytes = bsm::cluster::encode(x);
  EXPECT_EQ(bytes.size(), 8u + 6u);
  EXPECT_EQ(bsm::cluster::decode_epoch_record(bytes), x);
  EXPECT_EQ(bsm::cluster::decode_epoch_record(bsm::cluster::encode({})),
            epoch_record{});
  EXPECT_FALSE(bsm::cluster::decode_epoch_record("short"));
}

TEST(ReplicaRule, RankedReplicasAreTheHeadOfTheRendezvousRanking) {
  std::vector<std::string> nodes{"node-a", "node-b", "node-c"};
  for (int i = 0; i < 100; ++i) {
    auto key = "agents/a" + std::to_string(i);
    auto two = bsm::cluster::ranked_replicas(key, nodes, 2);
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0], bsm::cluster::rendezvous_owner(key, nodes));
    auto three = bsm::cluster::ranked_replicas(key, nodes, 3);
    EXPECT_EQ(std::vector<std::string>(three.begin(), three.begin() + 2), two)
      << "a larger factor extends the same order";
    // The second is who owns the key once the first is gone.
    std::vector<std::string> rest;
    for (const auto& n : nodes)
      if (n != two[0])
        rest.push_back(n);
    EXPECT_EQ(two[1], bsm::cluster::rendezvous_owner(key, rest));
  }
  EXPECT_EQ(bsm::cluster::ranked_replicas("k", {"only"}, 2),
            std::vector<std::string>{"only"});
}

TEST(ReplicaRule, ACopyAppliesChangesOfItsHolderOnly) {
  epoch_record mine{3, "node-a"};
  EXPECT_EQ(judge_change(mine, 3, "node-a"), change_verdict::apply);
  EXPECT_EQ(judge_change(mine, 2, "node-a"), change_verdict::stale)
    << "a paused holder that lost its epoch";
  EXPECT_EQ(judge_change(mine, 3, "node-c"), change_verdict::stale)
    << "one epoch has one holder";
  EXPECT_EQ(judge_change(mine, 4, "node-a"), change_verdict::behind)
    << "the holder acted alone meanwhile";
  EXPECT_EQ(judge_change({}, 1, "node-a"), change_verdict::behind)
    << "a new copy has nothing yet";
}

TEST(ReplicaRule, ClaimsOnlyGoUpAndStandUntilALaterOne) {
  epoch_record mine{3, "node-a"};
  auto refused = judge_claim(mine, 3, "node-b");
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.previous, (epoch_record{3, "node-a"}));
  EXPECT_EQ(mine, (epoch_record{3, "node-a"}));

  auto granted = judge_claim(mine, 4, "node-b");
  EXPECT_TRUE(granted.granted);
  EXPECT_EQ(granted.previous, (epoch_record{3, "node-a"}));
  EXPECT_EQ(mine, (epoch_record{4, "node-b"}));
  EXPECT_TRUE(bsm::cluster::claim_stands(mine, 4, "node-b"));
  EXPECT_FALSE(bsm::cluster::claim_stands(mine, 4, "node-a"));

  // node-a, paused, comes back: its changes are stale; it claims again.
  EXPECT_EQ(judge_change(mine, 3, "node-a"), change_verdict::stale);
  EXPECT_TRUE(judge_claim(mine, 5, "node-a").granted);
  EXPECT_FALSE(bsm::cluster::claim_stands(mine, 4, "node-b"));
}

TEST(ReplicaRule, AClaimantPullsOnlyWhenTheCopyKnewALaterEpoch) {
  using bsm::cluster::must_pull;
  // The owner restarts; its copy saw nothing newer: nothing to copy.
  EXPECT_FALSE(must_pull({3, "node-a"}, {3, "node-a"}));
  // The copy took over while the owner was down.
  EXPECT_TRUE(must_pull({3, "node-a"}, {4, "node-b"}));
  // The copy takes over from an owner it copied: it has everything.
  EXPECT_FALSE(must_pull({4, "node-a"}, {4, "node-a"}));
  EXPECT_FALSE(must_pull({}, {}));
}

TEST(ReplicaRule, ALeaseHoldsForItsLengthFromTheConfirmationsSending) {
  using namespace std::chrono_literals;
  std::chrono::steady_clock::time_point t0{};
  EXPECT_TRUE(bsm::cluster::lease_holds(t0, t0, 1500ms));
  EXPECT_TRUE(bsm::cluster::lease_holds(t0, t0 + 1499ms, 1500ms));
  EXPECT_FALSE(bsm::cluster::lease_holds(t0, t0 + 1500ms, 1500ms));
  // A pause of the process: its steady clock ran on.
  EXPECT_FALSE(bsm::cluster::lease_holds(t0, t0 + 30s, 1500ms));
}

} // namespace
