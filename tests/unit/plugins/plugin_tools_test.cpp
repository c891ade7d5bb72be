// A plugin's tools as the tool host sees them (plugin_tools.hpp): the
// list with "<plugin>__" names, calls that answer, fail, throw or name an
// unknown tool, and the actor on a real actor system.

#include "plugins/plugin_tools.hpp"

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/system_config.hpp"

namespace {

using bsm::plugins::outcome;

bsm::plugins::plugin_ptr good_plugin() {
  auto types = std::make_shared<bsm::type_registry>(
    bsm::type_registry::with_bsm_v1_types());
  bsm::plugins::plugin_loader loader{
    [types](const std::string& x) { return types->contains(x); }, {}};
  auto p = loader.load(TEST_PLUGIN_GOOD);
  if (!p)
    throw std::runtime_error(bsm::render(p.error()));
  return *p;
}

bsm::v1::ToolCallRequest call(const std::string& name,
                              const std::string& args = "") {
  bsm::v1::ToolCallRequest req;
  req.set_name(name);
  req.set_arguments_json(args);
  return req;
}

TEST(PluginTools, ListsThePrefixedTools) {
  auto p = good_plugin();
  auto list = bsm::plugins::tool_list(p->contents());
  ASSERT_EQ(list.tools_size(), 3);
  EXPECT_EQ(list.tools(0).name(), "testgood__echo");
  EXPECT_EQ(list.tools(0).description(), "Returns its arguments.");
  EXPECT_EQ(list.tools(0).parameters_json(), R"({"type":"object"})");
  EXPECT_EQ(list.tools(1).name(), "testgood__boom");
  EXPECT_EQ(bsm::plugins::tools_child_name("testgood"), "plugin_testgood");
}

TEST(PluginTools, CallsAnswerFailThrowOrMissTheTool) {
  auto p = good_plugin();
  auto how = outcome::refused;
  auto echo = bsm::plugins::call_tool(
    p->contents(), call("testgood__echo", R"({"x":2})"), how);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->content(), R"({"x":2})");
  EXPECT_FALSE(echo->is_error());
  EXPECT_EQ(how, outcome::ok);
  // No arguments are an empty object for the handler.
  auto empty
    = bsm::plugins::call_tool(p->contents(), call("testgood__echo"), how);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->content(), "{}");
  auto refused
    = bsm::plugins::call_tool(p->contents(), call("testgood__refuse"), how);
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->is_error());
  EXPECT_EQ(refused->content(), "refused on purpose");
  EXPECT_EQ(how, outcome::error);
  auto boom
    = bsm::plugins::call_tool(p->contents(), call("testgood__boom"), how);
  ASSERT_TRUE(boom);
  EXPECT_TRUE(boom->is_error());
  EXPECT_EQ(boom->content(),
            "tool 'testgood__boom' failed: boom went the tool");
  EXPECT_EQ(how, outcome::exception);
  auto missing
    = bsm::plugins::call_tool(p->contents(), call("testgood__nope"), how);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(bsm::is(missing.error(), bsm::errc::not_found));
  EXPECT_EQ(how, outcome::unknown_tool);
}

TEST(PluginTools, TheActorAnswersAndCountsAndOutlivesAThrowingTool) {
  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  bsm::metrics::registry reg;
  bsm::plugins::plugin_set set;
  set.loaded.push_back(good_plugin());
  auto metrics = bsm::plugins::plugin_metrics::make(reg, set);
  auto actor = bsm::plugins::spawn_plugin_tools(sys, set.loaded[0], metrics);
  caf::scoped_actor self{sys};
  self->request(actor, std::chrono::seconds{30}, bsm::v1::ToolListRequest{})
    .receive(
      [](const bsm::v1::ToolListResponse& list) {
        EXPECT_EQ(list.tools_size(), 3);
      },
      [](const caf::error& err) { FAIL() << bsm::render(err); });
  for (const auto* name : {"testgood__boom", "testgood__echo"})
    self->request(actor, std::chrono::seconds{30}, call(name, "{}"))
      .receive(
        [name](const bsm::v1::ToolCallResponse& resp) {
          EXPECT_EQ(resp.is_error(), std::string{name} == "testgood__boom");
        },
        [](const caf::error& err) { FAIL() << bsm::render(err); });
  auto text = reg.to_text();
  EXPECT_NE(text.find("bsm_plugin_tool_calls_total{plugin=\"testgood\","
                      "outcome=\"exception\"} 1"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("bsm_plugin_tool_calls_total{plugin=\"testgood\","
                      "outcome=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("bsm_plugins{state=\"loaded\"} 1"), std::string::npos);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
}

} // namespace
