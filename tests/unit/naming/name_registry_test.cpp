#include "runtime/naming/name_registry.hpp"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/interfaces.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"
#include "runtime/system_config.hpp"

namespace {

caf::behavior idle(caf::event_based_actor*) {
  return {[](int) {
  }};
}

class NameRegistry : public ::testing::Test {
protected:
  ~NameRegistry() override {
    for (const auto& [path, handle] : names.list())
      caf::anon_send_exit(handle, caf::exit_reason::kill);
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::name_registry names;
};

TEST_F(NameRegistry, LooksUpActorsByPath) {
  auto a = sys.spawn(idle);
  ASSERT_FALSE(names.put("hub/task_queue", a));
  auto found = names.get("hub/task_queue");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, a);
}

TEST_F(NameRegistry, UnknownPathIsNotFound) {
  auto found = names.get("agents/legal");
  ASSERT_FALSE(found);
  EXPECT_TRUE(bsm::is(found.error(), bsm::errc::not_found));
  EXPECT_NE(bsm::render(found.error()).find("agents/legal"), std::string::npos);
}

TEST_F(NameRegistry, RejectsMalformedPaths) {
  auto a = sys.spawn(idle);
  for (auto bad : {"", "/x", "x/", "a//b", "Upper", "sp ace", "ü"})
    EXPECT_TRUE(bsm::is(names.put(bad, a), bsm::errc::invalid_argument)) << bad;
  EXPECT_TRUE(names.put("ok", caf::actor{}));
  EXPECT_FALSE(bsm::name_registry::validate_path("agents/legal-2.v1_x"));
}

TEST_F(NameRegistry, EraseKeepsASuccessorRegisteredUnderTheSamePath) {
  auto first = sys.spawn(idle);
  auto second = sys.spawn(idle);
  ASSERT_FALSE(names.put("agents/legal", first));
  ASSERT_FALSE(names.put("agents/legal", second));
  names.erase("agents/legal", first.address());
  ASSERT_TRUE(names.get("agents/legal"));
  EXPECT_EQ(*names.get("agents/legal"), second);
  names.erase("agents/legal", second.address());
  EXPECT_FALSE(names.get("agents/legal"));
  caf::anon_send_exit(first, caf::exit_reason::kill);
}

TEST_F(NameRegistry, ListsEntriesSortedByPath) {
  ASSERT_FALSE(names.put("b", sys.spawn(idle)));
  ASSERT_FALSE(names.put("a/x", sys.spawn(idle)));
  auto entries = names.list();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first, "a/x");
  EXPECT_EQ(entries[1].first, "b");
  EXPECT_EQ(names.size(), 2u);
}

TEST_F(NameRegistry, DeclaredTypesAreCheckedAndLeaveWithTheName) {
  auto a = sys.spawn(idle);
  ASSERT_FALSE(names.put("node_info", a, {"bsm.v1.PingRequest"}));
  EXPECT_EQ(names.handles("node_info"),
            std::vector<std::string>{"bsm.v1.PingRequest"});
  EXPECT_FALSE(names.check_handles("node_info", "bsm.v1.PingRequest"));
  auto err = names.check_handles("node_info", "bsm.v1.ChatRequest");
  EXPECT_TRUE(bsm::is(err, bsm::errc::invalid_argument));
  EXPECT_EQ(bsm::render(err), "invalid_argument: actor 'node_info' does not "
                              "handle bsm.v1.ChatRequest");
  // Unknown here, or nothing declared: the mailbox finds out at delivery.
  EXPECT_FALSE(names.check_handles("elsewhere", "bsm.v1.ChatRequest"));
  ASSERT_FALSE(names.put("quiet", sys.spawn(idle)));
  EXPECT_FALSE(names.check_handles("quiet", "bsm.v1.ChatRequest"));
  names.erase("node_info", a.address());
  EXPECT_TRUE(names.handles("node_info").empty());
}

TEST(HandledTypes, AreTheProtobufMessagesOfTheInterfaceEachOnce) {
  EXPECT_EQ(
    bsm::handled_types<bsm::node_info_actor>(),
    (std::vector<std::string>{"bsm.v1.PingRequest", "bsm.v1.NodeInfoRequest"}));
  // ChatRequest twice (alone and with a stream sink), atoms not at all.
  EXPECT_EQ(bsm::handled_types<bsm::agent_actor>(),
            (std::vector<std::string>{
              "bsm.v1.ChatRequest", "bsm.v1.TurnCancelRequest",
              "bsm.v1.QuestionAskRequest", "bsm.v1.QuestionListRequest",
              "bsm.v1.QuestionAnswerRequest", "bsm.v1.ToolProgress"}));
}

} // namespace
