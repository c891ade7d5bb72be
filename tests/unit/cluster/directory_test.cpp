// Where a name lives: rendezvous hashing, host:port parsing, resolution by
// placement (named node, stateful and stateless hashing), by this node's
// registry and by names other members advertise, and which members'
// messages may be acted on.

#include "runtime/cluster/directory.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "runtime/cluster/member_table.hpp"
#include "runtime/cluster/replica_rule.hpp"
#include "runtime/error.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/system_config.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::cluster::directory;
using bsm::cluster::join_state;
using bsm::cluster::member_info;
using bsm::cluster::placement;
using bsm::cluster::rendezvous_owner;
using bsm::cluster::split_host_port;
using bsm::v1::MemberState;

constexpr auto up = bsm::v1::MEMBER_STATE_UP;
constexpr auto suspect = bsm::v1::MEMBER_STATE_SUSPECT;
constexpr auto down = bsm::v1::MEMBER_STATE_DOWN;
constexpr auto left = bsm::v1::MEMBER_STATE_LEFT;

member_info info(const std::string& name, MemberState state,
                 uint64_t incarnation = 1,
                 const std::vector<std::string>& names = {},
                 uint64_t dead_up_to = 0) {
  member_info m;
  m.record.set_name(name);
  m.record.set_incarnation(incarnation);
  for (const auto& n : names)
    m.record.add_names(n);
  m.state = state;
  m.dead_up_to = dead_up_to;
  return m;
}

std::string key(int i) {
  return "agents/a" + std::to_string(i);
}

/// A path that rendezvous hashing over `candidates` gives to `node`, or ""
/// if none of the first thousand does.
std::string path_owned_by(const std::string& node,
                          const std::vector<std::string>& candidates) {
  for (int i = 0; i < 1000; ++i)
    if (rendezvous_owner(key(i), candidates) == node)
      return key(i);
  return {};
}

// -- rendezvous hashing ------------------------------------------------

TEST(RendezvousOwner, IsDeterministicAndIndependentOfCandidateOrder) {
  std::vector<std::string> nodes{"node-a", "node-b", "node-c", "node-d"};
  std::vector<std::string> first;
  for (int i = 0; i < 100; ++i)
    first.push_back(rendezvous_owner(key(i), nodes));
  std::sort(nodes.begin(), nodes.end());
  do {
    for (int i = 0; i < 100; ++i)
      ASSERT_EQ(rendezvous_owner(key(i), nodes), first[i]) << key(i);
  } while (std::next_permutation(nodes.begin(), nodes.end()));
}

TEST(RendezvousOwner, ReturnsOneOfTheCandidates) {
  std::vector<std::string> one{"node-a"};
  EXPECT_EQ(&rendezvous_owner("agents/x", one), &one.front());
  std::vector<std::string> nodes{"node-a", "node-b"};
  for (int i = 0; i < 50; ++i) {
    const auto& o = rendezvous_owner(key(i), nodes);
    EXPECT_TRUE(&o == &nodes[0] || &o == &nodes[1]);
  }
}

TEST(RendezvousOwner, SpreadsKeysOverTheCandidates) {
  // Names that differ only in their last character, as node names do.
  std::vector<std::string> nodes{"node-1", "node-2", "node-3"};
  std::map<std::string, int> count;
  constexpr int keys = 3000;
  for (int i = 0; i < keys; ++i)
    ++count[rendezvous_owner(key(i), nodes)];
  for (const auto& n : nodes) {
    EXPECT_GE(count[n], keys * 20 / 100) << n;
    EXPECT_LE(count[n], keys * 47 / 100) << n;
  }
}

TEST(RendezvousOwner, RemovingACandidateMovesOnlyTheKeysItOwned) {
  std::vector<std::string> all{"node-a", "node-b", "node-c", "node-d"};
  std::vector<std::string> without_c{"node-a", "node-b", "node-d"};
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto& before = rendezvous_owner(key(i), all);
    const auto& after = rendezvous_owner(key(i), without_c);
    if (before == "node-c") {
      EXPECT_NE(after, "node-c");
      ++moved;
    } else {
      EXPECT_EQ(after, before) << key(i);
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(RendezvousOwner, AddingACandidateMovesKeysOnlyToIt) {
  std::vector<std::string> three{"node-a", "node-b", "node-c"};
  std::vector<std::string> four{"node-a", "node-b", "node-c", "node-e"};
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto& before = rendezvous_owner(key(i), three);
    const auto& after = rendezvous_owner(key(i), four);
    if (after != before) {
      EXPECT_EQ(after, "node-e") << key(i);
      ++moved;
    }
  }
  EXPECT_GT(moved, 0);
}

// -- host:port ---------------------------------------------------------

TEST(DirectorySplitHostPort, SplitsHostAndPort) {
  auto v4 = split_host_port("127.0.0.1:7100");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 7100);
  auto v6 = split_host_port("[::1]:80");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 80);
  auto highest = split_host_port("node-a.example:65535");
  ASSERT_TRUE(highest);
  EXPECT_EQ(highest->first, "node-a.example");
  EXPECT_EQ(highest->second, 65535);
}

TEST(DirectorySplitHostPort, RejectsMalformedAddresses) {
  for (auto bad : {"", "x", ":1", "h:", "h:0", "h:70000", "h:65536", "h:1a",
                   "h:-1", "h: 1", "[]:80", "h:99999999999999999999"})
    EXPECT_FALSE(split_host_port(bad)) << '"' << bad << '"';
}

// -- resolution --------------------------------------------------------

class Directory : public ::testing::Test {
protected:
  void place(const std::string& path, const std::string& node, bool stateless) {
    placement rule;
    rule.node = node;
    rule.stateless = stateless;
    dir.set_placements({{path, rule}});
  }

  bsm::cluster::owner resolve_ok(const std::string& path) {
    auto o = dir.resolve(path);
    if (!o) {
      ADD_FAILURE() << path << ": " << bsm::render(o.error());
      return {};
    }
    return *o;
  }

  directory dir{"self", nullptr};
};

TEST_F(Directory, PlacedStatefulNameStaysOnItsNodeEvenWhenDown) {
  place("agents/legal", "node-b", false);
  dir.set_members({info("node-b", up), info("node-c", up)});
  auto o = resolve_ok("agents/legal");
  EXPECT_EQ(o.node, "node-b");
  EXPECT_FALSE(o.local);
  EXPECT_EQ(o.state, up);

  dir.set_members({info("node-b", down), info("node-c", up)});
  o = resolve_ok("agents/legal");
  EXPECT_EQ(o.node, "node-b");
  EXPECT_EQ(o.state, down);

  dir.set_members({info("node-c", up)});
  o = resolve_ok("agents/legal");
  EXPECT_EQ(o.node, "node-b") << "its state lives there, known or not";
  EXPECT_EQ(o.state, down);
}

TEST_F(Directory, PlacedNameNamingThisNodeIsLocal) {
  dir.set_members({info("node-b", up)});
  for (bool stateless : {false, true}) {
    place("agents/legal", "self", stateless);
    auto o = resolve_ok("agents/legal");
    EXPECT_EQ(o.node, "self");
    EXPECT_TRUE(o.local);
    EXPECT_EQ(o.state, up);
  }
}

TEST_F(Directory, PlacedStatelessNameStaysOnItsNodeWhileItIsLive) {
  for (auto state : {up, suspect}) {
    dir.set_members({info("node-b", state), info("node-c", up)});
    place("agents/echo", "node-b", true);
    auto o = resolve_ok("agents/echo");
    EXPECT_EQ(o.node, "node-b");
    EXPECT_EQ(o.state, state);
  }
}

TEST_F(Directory, PlacedStatelessNameMovesToALiveMemberWhenItsNodeIsGone) {
  // A path that hashing over the live nodes gives to node-c, not to self.
  auto path = path_owned_by("node-c", {"self", "node-c"});
  ASSERT_FALSE(path.empty());
  for (auto state : {down, left}) {
    dir.set_members({info("node-b", state), info("node-c", up)});
    place(path, "node-b", true);
    auto o = resolve_ok(path);
    EXPECT_EQ(o.node, "node-c")
      << "node-b " << bsm::v1::MemberState_Name(state);
    EXPECT_FALSE(o.local);
    EXPECT_EQ(o.state, up);
  }
  dir.set_members({info("node-c", up)});
  place(path, "node-unknown", true);
  EXPECT_EQ(resolve_ok(path).node, "node-c");
}

TEST_F(Directory, PlacedStatelessNameComesHomeWhenNoMemberIsLive) {
  dir.set_members({info("node-b", down), info("node-c", left)});
  place("agents/echo", "node-b", true);
  auto o = resolve_ok("agents/echo");
  EXPECT_EQ(o.node, "self");
  EXPECT_TRUE(o.local);
}

TEST_F(Directory, HashedStatefulNameKeepsADownOwnerButNotALeftOne) {
  auto path = path_owned_by("node-b", {"self", "node-a", "node-b"});
  ASSERT_FALSE(path.empty());
  place(path, "", false);

  dir.set_members({info("node-a", up), info("node-b", up)});
  EXPECT_EQ(resolve_ok(path).node, "node-b");

  dir.set_members({info("node-a", up), info("node-b", down)});
  auto o = resolve_ok(path);
  EXPECT_EQ(o.node, "node-b") << "a down owner keeps its stateful names";
  EXPECT_EQ(o.state, down);

  dir.set_members({info("node-a", up), info("node-b", left)});
  o = resolve_ok(path);
  EXPECT_NE(o.node, "node-b") << "a left owner gives them up";
  EXPECT_EQ(o.node, rendezvous_owner(path, {"self", "node-a"}));
}

TEST_F(Directory, WithReplicasTheFirstLiveOneOwnsAHashedStatefulName) {
  std::vector<std::string> all{"self", "node-a", "node-b"};
  std::string path;
  // A name whose copies are node-b, then node-a.
  for (int i = 0; i < 1000 && path.empty(); ++i)
    if (bsm::cluster::ranked_replicas(key(i), all, 2)
        == std::vector<std::string>{"node-b", "node-a"})
      path = key(i);
  ASSERT_FALSE(path.empty());
  place(path, "", false);
  dir.set_replication_factor(2);
  dir.set_members({info("node-a", up), info("node-b", up)});
  EXPECT_EQ(dir.replicas(path), (std::vector<std::string>{"node-b", "node-a"}));
  EXPECT_EQ(resolve_ok(path).node, "node-b");
  // The owner down: the next copy takes over.
  dir.set_members({info("node-a", up), info("node-b", down)});
  EXPECT_EQ(resolve_ok(path).node, "node-a");
  // Both down: the owner keeps it (the name waits for it).
  dir.set_members({info("node-a", down), info("node-b", down)});
  EXPECT_EQ(resolve_ok(path).node, "node-b");
  // Factor 1: the down owner keeps it.
  dir.set_replication_factor(1);
  dir.set_members({info("node-a", up), info("node-b", down)});
  EXPECT_EQ(resolve_ok(path).node, "node-b");
  // A stateless name has no copies: the factor changes nothing for it.
  dir.set_replication_factor(2);
  place(path, "", true);
  EXPECT_EQ(resolve_ok(path).node, rendezvous_owner(path, {"self", "node-a"}));
}

TEST_F(Directory, ReplicasAreTheRankingsHeadOverMembersNotLeft) {
  dir.set_members(
    {info("node-a", up), info("node-b", down), info("node-c", left)});
  EXPECT_EQ(dir.replication_factor(), 1u);
  EXPECT_EQ(dir.replicas("memory/x").size(), 1u);
  dir.set_replication_factor(2);
  for (int i = 0; i < 50; ++i) {
    auto r = dir.replicas(key(i));
    ASSERT_EQ(r.size(), 2u);
    EXPECT_NE(r[0], r[1]);
    EXPECT_EQ(
      r, bsm::cluster::ranked_replicas(key(i), {"self", "node-a", "node-b"}, 2))
      << "a left member keeps no copy";
  }
  EXPECT_TRUE(dir.live_member("self"));
  EXPECT_TRUE(dir.live_member("node-a"));
  EXPECT_FALSE(dir.live_member("node-b"));
  EXPECT_FALSE(dir.live_member("node-x"));
}

// A decommission: while this node hands its state over, its stateful
// names and partitions resolve to nobody here (the others still see it as
// their owner); once it has left, to their next owners; the others' names
// stay where they were.
TEST_F(Directory, ALeavingNodeServesNoneOfItsNamesThenResolvesPastItself) {
  auto mine = path_owned_by("self", {"self", "node-a", "node-b"});
  auto theirs = path_owned_by("node-b", {"self", "node-a", "node-b"});
  ASSERT_FALSE(mine.empty());
  ASSERT_FALSE(theirs.empty());
  dir.set_placements({{mine, placement{}}, {theirs, placement{}}});
  dir.set_members({info("node-a", up), info("node-b", up)});
  EXPECT_TRUE(resolve_ok(mine).local);
  EXPECT_TRUE(dir.may_serve_locally(mine));

  dir.set_self_role(bsm::cluster::self_role::handing_off);
  auto o = dir.resolve(mine);
  ASSERT_FALSE(o);
  EXPECT_TRUE(bsm::is(o.error(), bsm::errc::unavailable));
  EXPECT_NE(bsm::render(o.error()).find("handing its state over"),
            std::string::npos)
    << bsm::render(o.error());
  EXPECT_FALSE(dir.may_serve_locally(mine));
  EXPECT_FALSE(dir.resolve_partition(mine)) << "its memory partitions too";
  EXPECT_EQ(resolve_ok(theirs).node, "node-b");
  auto next = rendezvous_owner(mine, {"node-a", "node-b"});
  auto as_member = dir.resolve_as(mine, bsm::cluster::self_view::as_member);
  ASSERT_TRUE(as_member);
  EXPECT_TRUE(as_member->local);
  auto without = dir.resolve_as(mine, bsm::cluster::self_view::without_self);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->node, next);

  dir.set_self_role(bsm::cluster::self_role::departed);
  EXPECT_EQ(resolve_ok(mine).node, next);
  EXPECT_EQ(resolve_ok(theirs).node, "node-b");
  EXPECT_FALSE(dir.may_serve_locally(mine));
}

TEST_F(Directory, ALeavingMemberKeepsItsNamesUntilItHasLeft) {
  auto path = path_owned_by("node-b", {"self", "node-a", "node-b"});
  ASSERT_FALSE(path.empty());
  place(path, "", false);
  dir.set_members(
    {info("node-a", up), info("node-b", bsm::v1::MEMBER_STATE_LEAVING)});
  auto o = resolve_ok(path);
  EXPECT_EQ(o.node, "node-b");
  EXPECT_EQ(o.state, bsm::v1::MEMBER_STATE_LEAVING);
  EXPECT_TRUE(dir.accepts("node-b", 1));
  dir.set_members({info("node-a", up), info("node-b", left, 1, {}, 1)});
  EXPECT_NE(resolve_ok(path).node, "node-b");
  EXPECT_FALSE(dir.accepts("node-b", 1));
  EXPECT_TRUE(dir.accepts_link("node-b", 1))
    << "a node that left still forwards what it held";
  EXPECT_FALSE(dir.accepts_link("node-b", 2));
}

TEST_F(Directory, HashedStatelessNameUsesOnlyLiveMembersAndThisNode) {
  dir.set_members({info("node-up", up), info("node-suspect", suspect),
                   info("node-down", down), info("node-left", left)});
  std::map<std::string, placement> rules;
  for (int i = 0; i < 300; ++i)
    rules[key(i)].stateless = true;
  dir.set_placements(rules);
  std::set<std::string> owners;
  const std::vector<std::string> live{"self", "node-up", "node-suspect"};
  for (int i = 0; i < 300; ++i) {
    auto o = resolve_ok(key(i));
    EXPECT_EQ(o.node, rendezvous_owner(key(i), live)) << key(i);
    EXPECT_EQ(o.local, o.node == "self");
    owners.insert(o.node);
  }
  EXPECT_EQ(owners, std::set<std::string>(live.begin(), live.end()));
}

TEST_F(Directory, HashedNameWithoutMembersIsLocal) {
  for (bool stateless : {false, true}) {
    place("agents/legal", "", stateless);
    auto o = resolve_ok("agents/legal");
    EXPECT_TRUE(o.local);
    EXPECT_EQ(o.node, "self");
  }
}

TEST_F(Directory, AdvertisedNameResolvesToTheMemberAdvertisingIt) {
  dir.set_members({info("node-b", up, 1, {"hub/task_queue", "agents/y"}),
                   info("node-c", up, 1, {"hub/other"})});
  auto o = resolve_ok("agents/y");
  EXPECT_EQ(o.node, "node-b");
  EXPECT_FALSE(o.local);
  EXPECT_EQ(o.state, up);
  EXPECT_EQ(resolve_ok("hub/other").node, "node-c");
}

TEST_F(Directory, AdvertisedNamePrefersALiveMemberOverADownOne) {
  // Both orders by name, so map order cannot make the test pass.
  dir.set_members(
    {info("node-a", down, 1, {"svc/q"}), info("node-b", up, 1, {"svc/q"})});
  EXPECT_EQ(resolve_ok("svc/q").node, "node-b");
  dir.set_members(
    {info("node-a", up, 1, {"svc/q"}), info("node-b", down, 1, {"svc/q"})});
  EXPECT_EQ(resolve_ok("svc/q").node, "node-a");
  dir.set_members({info("node-a", left, 1, {"svc/q"}),
                   info("node-b", suspect, 1, {"svc/q"})});
  EXPECT_EQ(resolve_ok("svc/q").node, "node-b");
}

TEST_F(Directory, NameAdvertisedOnlyByADownMemberResolvesToIt) {
  dir.set_members({info("node-b", down, 1, {"svc/q"})});
  auto o = resolve_ok("svc/q");
  EXPECT_EQ(o.node, "node-b");
  EXPECT_EQ(o.state, down);
}

TEST_F(Directory, PlacementTakesPrecedenceOverAdvertisedNames) {
  dir.set_members(
    {info("node-b", up, 1, {"agents/legal"}), info("node-c", up)});
  place("agents/legal", "node-c", false);
  EXPECT_EQ(resolve_ok("agents/legal").node, "node-c");
}

TEST_F(Directory, UnknownNameIsNotFound) {
  dir.set_members({info("node-b", up, 1, {"agents/y"})});
  place("agents/legal", "node-b", false);
  auto o = dir.resolve("agents/nobody");
  ASSERT_FALSE(o);
  EXPECT_TRUE(bsm::is(o.error(), bsm::errc::not_found));
  EXPECT_NE(bsm::render(o.error()).find("agents/nobody"), std::string::npos);
}

TEST_F(Directory, OwnedPlacementsCountsThePathsThisNodeOwnsNow) {
  EXPECT_EQ(dir.owned_placements(), 0u);
  dir.set_members({info("node-a", up), info("node-b", down)});
  std::map<std::string, placement> rules;
  rules["agents/here"].node = "self";
  rules["agents/there"].node = "node-a";
  rules["agents/moved"] = placement{"node-b", true};
  size_t expected = 1;
  if (rendezvous_owner("agents/moved", {"self", "node-a"}) == "self")
    ++expected;
  for (int i = 0; i < 200; ++i) {
    bool stateless = i % 2 == 1;
    rules[key(i)].stateless = stateless;
    auto candidates = stateless
                        ? std::vector<std::string>{"self", "node-a"}
                        : std::vector<std::string>{"self", "node-a", "node-b"};
    if (rendezvous_owner(key(i), candidates) == "self")
      ++expected;
  }
  dir.set_placements(rules);
  EXPECT_GT(expected, 1u);
  EXPECT_EQ(dir.owned_placements(), expected);
}

TEST_F(Directory, PlacementOfReportsTheRule) {
  place("agents/legal", "node-b", true);
  auto rule = dir.placement_of("agents/legal");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->node, "node-b");
  EXPECT_TRUE(rule->stateless);
  EXPECT_FALSE(dir.placement_of("agents/other"));
}

TEST_F(Directory, SetMembersReplacesTheView) {
  dir.set_members({info("node-b", up, 3), info("node-c", down)});
  EXPECT_EQ(dir.members().size(), 2u);
  auto b = dir.member("node-b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->record.incarnation(), 3u);
  EXPECT_EQ(b->state, up);
  EXPECT_FALSE(dir.member("self"));

  dir.set_members({info("node-d", suspect)});
  EXPECT_FALSE(dir.member("node-b"));
  EXPECT_FALSE(dir.member("node-c"));
  ASSERT_TRUE(dir.member("node-d"));
  EXPECT_EQ(dir.members().size(), 1u);
}

TEST_F(Directory, KeepsThisNodesAddressesIncarnationAndJoinState) {
  EXPECT_EQ(dir.self(), "self");
  EXPECT_EQ(dir.join(), join_state::single);
  EXPECT_TRUE(dir.joined()) << "a single node is joined from the start";
  dir.set_join(join_state::joining);
  EXPECT_FALSE(dir.joined());
  dir.set_join(join_state::joined);
  EXPECT_TRUE(dir.joined());
  EXPECT_EQ(dir.join(), join_state::joined);
  dir.set_self_addresses("127.0.0.1:7100", "127.0.0.1:8080");
  EXPECT_EQ(dir.self_cluster_address(), "127.0.0.1:7100");
  EXPECT_EQ(dir.self_http_address(), "127.0.0.1:8080");
  EXPECT_EQ(dir.incarnation(), 0u);
  dir.set_incarnation(7);
  EXPECT_EQ(dir.incarnation(), 7u);
}

TEST_F(Directory, AJoiningNodeResolvesNoHashedNameNotEvenToItself) {
  dir.set_join(join_state::joining);
  dir.set_placements({{"agents/hashed", placement{}},
                      {"agents/mine", placement{"self", false}},
                      {"agents/theirs", placement{"node-b", false}},
                      {"agents/light", placement{"", true}}});
  dir.set_members({info("node-b", up)});
  for (const auto* path : {"agents/hashed", "agents/light"}) {
    auto o = dir.resolve(path);
    ASSERT_FALSE(o) << path << " resolved to " << o->node;
    EXPECT_TRUE(bsm::is(o.error(), bsm::errc::unavailable));
    EXPECT_NE(bsm::render(o.error()).find("has not joined its cluster yet"),
              std::string::npos)
      << bsm::render(o.error());
    EXPECT_FALSE(dir.may_serve_locally(path));
  }
  EXPECT_TRUE(resolve_ok("agents/mine").local) << "named here: served here";
  EXPECT_TRUE(dir.may_serve_locally("agents/mine"));
  EXPECT_EQ(resolve_ok("agents/theirs").node, "node-b");
  EXPECT_FALSE(dir.may_serve_locally("agents/theirs"));
  EXPECT_TRUE(dir.may_serve_locally("memory")) << "not placed";
  EXPECT_EQ(dir.owned_placements(), 1u);

  dir.set_join(join_state::joined);
  EXPECT_TRUE(dir.resolve("agents/hashed"));
  EXPECT_TRUE(dir.may_serve_locally("agents/hashed"));
  EXPECT_TRUE(dir.may_serve_locally("agents/theirs"));
}

TEST_F(Directory, AStoppedOwnerKeepsItsStatefulHashedNamesOnly) {
  dir.set_members({info("node-b", up), info("node-c", up)});
  std::vector<std::string> all{"self", "node-b", "node-c"};
  auto stateful = path_owned_by("node-b", all);
  ASSERT_FALSE(stateful.empty());
  dir.set_placements(
    {{stateful, placement{}}, {"agents/light", placement{"node-b", true}}});
  // A graceful stop makes node-b down, not left.
  dir.set_members({info("node-b", down), info("node-c", up)});
  auto o = resolve_ok(stateful);
  EXPECT_EQ(o.node, "node-b") << "its state stays with it: the name waits";
  EXPECT_EQ(o.state, down);
  EXPECT_NE(resolve_ok("agents/light").node, "node-b")
    << "a stateless name moves to a live member";
}

TEST_F(Directory, AcceptsMirrorsMemberStatesAndDeadIncarnations) {
  dir.set_members(
    {info("node-up", up, 3), info("node-suspect", suspect, 3),
     info("node-down", down, 3, {}, 3), info("node-left", left, 3, {}, 3),
     info("node-reborn", up, 5, {}, 4), info("node-odd", up, 3, {}, 3)});
  EXPECT_FALSE(dir.accepts("node-x", 1)) << "unknown";
  EXPECT_FALSE(dir.accepts("self", 1)) << "not a member of its own view";
  for (auto name : {"node-up", "node-suspect"}) {
    EXPECT_TRUE(dir.accepts(name, 3)) << name;
    EXPECT_TRUE(dir.accepts(name, 4)) << name;
    EXPECT_FALSE(dir.accepts(name, 2)) << name;
  }
  for (auto name : {"node-down", "node-left"})
    for (uint64_t inc : {2u, 3u, 4u})
      EXPECT_FALSE(dir.accepts(name, inc)) << name << " " << inc;
  EXPECT_TRUE(dir.accepts("node-reborn", 5));
  EXPECT_FALSE(dir.accepts("node-reborn", 4));
  // An incarnation declared dead is refused even if the view says up.
  EXPECT_FALSE(dir.accepts("node-odd", 3));
  EXPECT_TRUE(dir.accepts("node-odd", 4));
}

TEST_F(Directory, AcceptsAgreesWithTheMemberTableItIsFedFrom) {
  using bsm::cluster::member_table;
  using bsm::cluster::steady_time;
  member_table table{"self", {100ms, 200ms}};
  std::vector<bsm::cluster::transition> ts;
  auto t0 = steady_time{} + 1h;
  auto rec = [](const std::string& name, uint64_t inc) {
    bsm::v1::MemberRecord r;
    r.set_name(name);
    r.set_incarnation(inc);
    return r;
  };
  table.on_heartbeat(rec("node-down", 2), t0, 1, ts);
  table.on_heartbeat(rec("node-reborn", 2), t0, 1, ts);
  table.tick(t0 + 300ms, ts);
  table.on_heartbeat(rec("node-reborn", 3), t0 + 300ms, 2, ts);
  table.on_heartbeat(rec("node-up", 2), t0 + 300ms, 2, ts);
  table.on_heartbeat(rec("node-suspect", 2), t0 + 300ms, 2, ts);
  table.on_connection_lost("node-suspect", ts);
  table.on_heartbeat(rec("node-left", 2), t0 + 300ms, 2, ts);
  table.on_leave("node-left", 2, ts);
  table.learn(rec("node-learned", 2));

  std::vector<member_info> view;
  for (const auto& [name, m] : table.members()) {
    member_info i;
    i.record = m.record;
    i.state = m.state;
    i.last_seen_unix_ms = m.last_seen_unix_ms;
    i.dead_up_to = m.dead_up_to;
    view.push_back(i);
  }
  ASSERT_EQ(view.size(), 6u);
  dir.set_members(view);
  for (const auto& [name, m] : table.members())
    for (uint64_t inc = 0; inc <= 4; ++inc)
      EXPECT_EQ(dir.accepts(name, inc), table.accepts(name, inc))
        << name << " at " << inc;
}

// -- names registered on this node, connections ------------------------

caf::behavior idle(caf::event_based_actor*) {
  return {[](int) {
  }};
}

class DirectoryLocalNames : public ::testing::Test {
protected:
  ~DirectoryLocalNames() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
  }

  caf::actor spawn_idle() {
    spawned.push_back(sys.spawn(idle));
    return spawned.back();
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<caf::actor> spawned;
  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  directory dir{"self", names};
};

TEST_F(DirectoryLocalNames, RegisteredNameResolvesHere) {
  ASSERT_FALSE(names->put("hub/task_queue", spawn_idle()));
  auto o = dir.resolve("hub/task_queue");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->node, "self");
  EXPECT_TRUE(o->local);
  EXPECT_EQ(o->state, up);
}

TEST_F(DirectoryLocalNames, RegisteredNameWinsOverAnAdvertisedOne) {
  dir.set_members({info("node-b", up, 1, {"hub/task_queue"})});
  ASSERT_FALSE(names->put("hub/task_queue", spawn_idle()));
  auto o = dir.resolve("hub/task_queue");
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->local);
}

TEST_F(DirectoryLocalNames, PlacementWinsOverARegisteredName) {
  dir.set_members({info("node-b", up)});
  ASSERT_FALSE(names->put("agents/legal", spawn_idle()));
  placement rule;
  rule.node = "node-b";
  dir.set_placements({{"agents/legal", rule}});
  auto o = dir.resolve("agents/legal");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->node, "node-b");
  EXPECT_FALSE(o->local);
}

TEST_F(DirectoryLocalNames, UnregisteredNameFallsBackToTheAdvertiser) {
  dir.set_members({info("node-b", up, 1, {"hub/task_queue"})});
  auto a = spawn_idle();
  ASSERT_FALSE(names->put("hub/task_queue", a));
  names->erase("hub/task_queue", a.address());
  auto o = dir.resolve("hub/task_queue");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->node, "node-b");
  dir.set_members({});
  auto gone = dir.resolve("hub/task_queue");
  ASSERT_FALSE(gone);
  EXPECT_TRUE(bsm::is(gone.error(), bsm::errc::not_found));
}

TEST_F(DirectoryLocalNames, KeepsAConnectionUntilItIsCleared) {
  EXPECT_FALSE(dir.connection("node-b"));
  auto port = spawn_idle();
  dir.set_connection("node-b", port);
  EXPECT_EQ(dir.connection("node-b"), port);
  EXPECT_FALSE(dir.connection("node-c"));
  auto other = spawn_idle();
  dir.set_connection("node-b", other);
  EXPECT_EQ(dir.connection("node-b"), other) << "a reconnect replaces it";
  dir.set_connection("node-b", nullptr);
  EXPECT_FALSE(dir.connection("node-b"));
}

} // namespace
