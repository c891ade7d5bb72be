// Memory partitioned by agent: which requests carry a partition, read from
// the typed message and from the bytes alike, and which node serves it
// (the owner of a placed agent, else rendezvous over the members that have
// not left), also as route_call decides it.

#include "actors/memory_partition.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/remote_call.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/system_config.hpp"

namespace {

bsm::cluster::member_info member(const std::string& name,
                                 bsm::v1::MemberState state) {
  bsm::cluster::member_info m;
  m.record.set_name(name);
  m.record.set_incarnation(1);
  m.state = state;
  return m;
}

bsm::v1::MemoryGetRequest get_of(const std::string& agent) {
  bsm::v1::MemoryGetRequest req;
  req.set_agent(agent);
  req.set_key("k");
  return req;
}

class MemoryPartition : public ::testing::Test {
protected:
  MemoryPartition() {
    dir->set_members({member("node-b", bsm::v1::MEMBER_STATE_UP),
                      member("node-c", bsm::v1::MEMBER_STATE_DOWN),
                      member("node-d", bsm::v1::MEMBER_STATE_LEFT)});
    dir->set_placements(
      {{"agents/courier", {"node-c", false}}, {"agents/hashed", {"", false}}});
  }

  std::shared_ptr<bsm::name_registry> names
    = std::make_shared<bsm::name_registry>();
  std::shared_ptr<bsm::cluster::directory> dir
    = std::make_shared<bsm::cluster::directory>("node-a", names);
};

TEST_F(MemoryPartition, EveryPartitionedTypeHasItsAgentAsFieldOne) {
  size_t partitioned = 0;
  bsm::for_each_type(bsm::bsm_v1_types{}, [&](auto* tag) {
    using type = std::remove_pointer_t<decltype(tag)>;
    const auto* d = type::descriptor();
    if (!bsm::is_memory_partitioned_type(d->full_name()))
      return;
    ++partitioned;
    const auto* agent = d->FindFieldByNumber(1);
    ASSERT_NE(agent, nullptr) << d->full_name();
    EXPECT_EQ(agent->name(), "agent") << d->full_name();
    EXPECT_EQ(agent->type(), google::protobuf::FieldDescriptor::TYPE_STRING);
  });
  EXPECT_EQ(partitioned, 9u);
  EXPECT_FALSE(bsm::is_memory_partitioned_type("bsm.v1.EffectRequest"));
  EXPECT_FALSE(bsm::is_memory_partitioned_type("bsm.v1.PingRequest"));
}

TEST_F(MemoryPartition, ReadsTheAgentFromTheMessageAndFromItsBytesAlike) {
  bsm::v1::MemoryPutRequest put;
  put.set_agent("legal");
  put.set_key("k");
  put.set_value(std::string(4096, 'x'));
  auto bytes = put.SerializeAsString();
  EXPECT_EQ(bsm::memory_partition("memory", caf::make_message(put)), "legal");
  EXPECT_EQ(bsm::memory_partition("memory", "bsm.v1.MemoryPutRequest", bytes),
            "legal");
  // Another target, another type, no agent, bytes that do not parse.
  EXPECT_EQ(bsm::memory_partition("ledger", caf::make_message(put)),
            std::nullopt);
  EXPECT_EQ(bsm::memory_partition("memory", "bsm.v1.PingRequest", bytes),
            std::nullopt);
  EXPECT_EQ(bsm::memory_partition("memory", caf::make_message(get_of(""))),
            std::nullopt);
  EXPECT_EQ(
    bsm::memory_partition("memory", "bsm.v1.MemoryPutRequest", "\x0a\x7f"),
    std::nullopt);
  bsm::v1::SessionListRequest list;
  list.set_agent("architect");
  list.set_limit(5);
  EXPECT_EQ(bsm::memory_partition("memory", "bsm.v1.SessionListRequest",
                                  list.SerializeAsString()),
            "architect");
}

TEST_F(MemoryPartition, APlacedAgentsMemoryLivesWithItsAgent) {
  // node-c is down but keeps its agents' state: memory waits for it.
  auto owner = *bsm::memory_owner(*dir, "courier");
  EXPECT_EQ(owner.node, "node-c");
  EXPECT_FALSE(owner.local);
  EXPECT_EQ(owner.state, bsm::v1::MEMBER_STATE_DOWN);
  EXPECT_EQ(bsm::memory_owner(*dir, "hashed")->node,
            dir->resolve("agents/hashed")->node);
}

TEST_F(MemoryPartition, AnyOtherNameHashesOverTheMembersThatHaveNotLeft) {
  std::vector<std::string> candidates{"node-a", "node-b", "node-c"};
  std::map<std::string, int> owners;
  for (int i = 0; i < 64; ++i) {
    auto name = "scratch-" + std::to_string(i);
    auto owner = *bsm::memory_owner(*dir, name);
    EXPECT_EQ(owner.node,
              bsm::cluster::rendezvous_owner("memory/" + name, candidates));
    EXPECT_EQ(owner.local, owner.node == "node-a");
    ++owners[owner.node];
  }
  EXPECT_EQ(owners.count("node-d"), 0u);
  EXPECT_EQ(owners.size(), 3u);
}

TEST_F(MemoryPartition, OtherRequestsResolveByTheirTarget) {
  auto placed = bsm::resolve_request(*dir, "agents/courier", std::nullopt);
  ASSERT_TRUE(placed);
  EXPECT_EQ(placed->node, "node-c");
  auto nobody = bsm::resolve_request(*dir, "nobody", std::nullopt);
  EXPECT_FALSE(nobody);
}

TEST_F(MemoryPartition, RouteCallSendsMemorysRequestToThePartitionsOwner) {
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  auto local_memory = sys.spawn([]() -> caf::behavior {
    return {[](int) {
    }};
  });
  auto port_b = sys.spawn([]() -> caf::behavior {
    return {[](int) {
    }};
  });
  EXPECT_FALSE(names->put("memory", local_memory));
  dir->set_connection("node-b", port_b);
  dir->set_placements({{"agents/on-b", {"node-b", false}},
                       {"agents/on-a", {"node-a", false}},
                       {"agents/on-c", {"node-c", false}}});
  auto types = bsm::type_registry::with_bsm_v1_types();
  bsm::remote_call_env env{names, dir, &types};
  auto remote
    = bsm::route_call(env, "memory", caf::make_message(get_of("on-b")));
  ASSERT_TRUE(remote) << bsm::render(remote.error());
  EXPECT_EQ(remote->node, "node-b");
  EXPECT_EQ(remote->remote, port_b);
  auto here = bsm::route_call(env, "memory", caf::make_message(get_of("on-a")));
  ASSERT_TRUE(here) << bsm::render(here.error());
  EXPECT_EQ(here->local, local_memory);
  // The owner is down: unavailable at once, never served here instead.
  auto down = bsm::route_call(env, "memory", caf::make_message(get_of("on-c")));
  ASSERT_FALSE(down);
  EXPECT_TRUE(bsm::is(down.error(), bsm::errc::unavailable));
  // Without a message (or with one of another kind) memory is the local one.
  auto plain = bsm::route_call(env, "memory");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->local, local_memory);
  for (auto& handle : {local_memory, port_b})
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
}

} // namespace
