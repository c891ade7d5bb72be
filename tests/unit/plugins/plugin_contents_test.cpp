// The rules a plugin's registration must keep (plugin_contents.hpp),
// checked without loading a library.

#include "plugins/plugin_contents.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using bsm::plugins::checking_registrar;
using namespace bsm::plugin;

tool_handler ok_handler() {
  return [](const std::string&) {
    return tool_result::ok("ok");
  };
}

checking_registrar make_registrar() {
  return checking_registrar{[](const std::string& x) {
    return x == "bsm.v1.PingRequest";
  }};
}

// The first broken rule, or "ok".
std::string problem(checking_registrar& r) {
  auto result = r.finish();
  return result ? "ok" : bsm::render(result.error());
}

TEST(PluginContents, KeepsAValidRegistration) {
  auto r = make_registrar();
  r.describe("calc", "1.0", "sums");
  r.add_tool({"add", "Adds.", R"({"type":"object"})", ok_handler()});
  r.add_actor_kind({"adder", {"bsm.v1.PingRequest"}, [](const json_message&) {
                      return message_result{};
                    }});
  auto c = r.finish();
  ASSERT_TRUE(c) << bsm::render(c.error());
  EXPECT_EQ(c->name, "calc");
  EXPECT_EQ(c->tools.size(), 1u);
  EXPECT_EQ(c->actor_kinds.size(), 1u);
  EXPECT_EQ(bsm::plugins::exposed_name("calc", "add"), "calc__add");
}

TEST(PluginContents, RequiresOneValidDescription) {
  auto none = make_registrar();
  EXPECT_NE(problem(none).find("did not call describe()"), std::string::npos);
  auto twice = make_registrar();
  twice.describe("a", "", "");
  twice.describe("b", "", "");
  EXPECT_EQ(problem(twice), "invalid_argument: describe() was called twice");
  auto bad = make_registrar();
  bad.describe("has__separator", "", "");
  EXPECT_NE(problem(bad).find("must not contain '__'"), std::string::npos);
  auto upper = make_registrar();
  upper.describe("Upper", "", "");
  EXPECT_NE(problem(upper).find("may only contain a-z"), std::string::npos);
}

TEST(PluginContents, RefusesBrokenTools) {
  auto dup = make_registrar();
  dup.describe("p", "", "");
  dup.add_tool({"t", "", R"({"type":"object"})", ok_handler()});
  dup.add_tool({"t", "", R"({"type":"object"})", ok_handler()});
  EXPECT_EQ(problem(dup), "invalid_argument: tool 't' is registered twice");
  auto schema = make_registrar();
  schema.describe("p", "", "");
  schema.add_tool({"t", "", "[1, 2]", ok_handler()});
  EXPECT_EQ(problem(schema),
            "invalid_argument: tool 't': input_schema_json is not a JSON "
            "object");
  auto no_handler = make_registrar();
  no_handler.describe("p", "", "");
  no_handler.add_tool({"t", "", R"({"type":"object"})", nullptr});
  EXPECT_EQ(problem(no_handler), "invalid_argument: tool 't' has no handler");
  auto too_long = make_registrar();
  too_long.describe("longplugin", "", "");
  too_long.add_tool({std::string(60, 'x'), "", "{}", ok_handler()});
  EXPECT_NE(problem(too_long).find("is longer than 64 characters"),
            std::string::npos);
}

TEST(PluginContents, RefusesBrokenActorKinds) {
  auto handler = [](const json_message&) {
    return message_result{};
  };
  auto bad_name = make_registrar();
  bad_name.describe("p", "", "");
  bad_name.add_actor_kind({"a/b", {"bsm.v1.PingRequest"}, handler});
  EXPECT_NE(problem(bad_name).find("actor kind 'a/b' must be"),
            std::string::npos);
  auto no_types = make_registrar();
  no_types.describe("p", "", "");
  no_types.add_actor_kind({"k", {}, handler});
  EXPECT_EQ(problem(no_types),
            "invalid_argument: actor kind 'k' declares no message type");
  auto unknown = make_registrar();
  unknown.describe("p", "", "");
  unknown.add_actor_kind({"k", {"bsm.v1.Nope"}, handler});
  EXPECT_NE(problem(unknown).find("'bsm.v1.Nope' is no bsm.v1 message"),
            std::string::npos);
  auto dup = make_registrar();
  dup.describe("p", "", "");
  dup.add_actor_kind({"k", {"bsm.v1.PingRequest"}, handler});
  dup.add_actor_kind({"k", {"bsm.v1.PingRequest"}, handler});
  EXPECT_EQ(problem(dup),
            "invalid_argument: actor kind 'k' is registered twice");
}

} // namespace
