// Plugins on a real bsmd (docs/PLUGINS.md): an agent on the local provider
// calls the textstats example's tool; a plugin's tool that throws is an
// error the model sees and the node keeps serving; the example's actor
// kind answers an injected ChatRequest; a broken plugin is skipped,
// listed by GET /v1/plugins with its reason and counted; with
// plugins.required a plugin built for another ABI stops bsmd with exit
// code 2 and one line.

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_node.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using bsm::test::body_of;
using bsm::test::describe;
using bsm::test::get;
using bsm::test::post_json;
using bsm::test::temp_dir;
using json = nlohmann::json;

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::trunc};
  out << text;
}

// One agent on the local provider with a plugin's tools.
std::filesystem::path write_agents(const std::filesystem::path& dir) {
  auto agents = dir / "agents";
  write_file(agents / "counter.yaml",
             "name: counter\ndescription: Counts words.\n"
             "system_prompt: You count.\n"
             "tools: [textstats__count, textstats__crc32, testgood__boom]\n");
  return agents;
}

struct plugin_sets {
  static std::vector<std::string> get() {
    static temp_dir dir;
    return {"agents.paths=[" + write_agents(dir.path()).string() + "]",
            std::string{"plugins.paths=["} + TEXTSTATS_PLUGIN + ", "
              + TEST_PLUGIN_THROWS + ", " + TEST_PLUGIN_GOOD + "]"};
  }
};

class Plugins : public bsm::test::configured_node<plugin_sets> {};

json chat(uint16_t port, const std::string& input) {
  auto res
    = post_json(port, "/v1/agents/counter/chat", json{{"input", input}}.dump());
  EXPECT_TRUE(res && res->status == 200) << describe(res);
  return res ? body_of(*res) : json{};
}

TEST_F(Plugins, AnAgentCallsTheExamplePluginsTool) {
  auto doc
    = chat(port(), R"(call textstats__count with {"text": "one two three"})");
  auto output = doc.value("output", std::string{});
  EXPECT_NE(output.find(R"("words":3)"), std::string::npos) << doc.dump();
  EXPECT_NE(output.find(R"("characters":13)"), std::string::npos) << doc.dump();
  auto crc
    = chat(port(), R"(call textstats__crc32 with {"text": "123456789"})");
  EXPECT_NE(crc.value("output", std::string{}).find("cbf43926"),
            std::string::npos)
    << crc.dump();
}

TEST_F(Plugins, AThrowingToolIsAnErrorTheModelSeesAndTheNodeServesOn) {
  auto doc = chat(port(), "call testgood__boom");
  EXPECT_NE(doc.value("output", std::string{}).find("boom went the tool"),
            std::string::npos)
    << doc.dump();
  auto health = get(port(), "/healthz");
  ASSERT_TRUE(health && health->status == 200) << describe(health);
  auto again = chat(port(), R"(call textstats__count with {"text": "a"})");
  EXPECT_NE(again.value("output", std::string{}).find(R"("words":1)"),
            std::string::npos)
    << again.dump();
}

TEST_F(Plugins, TheExamplesActorKindAnswersAnAsk) {
  json body{{"type", "bsm.v1.ChatRequest"},
            {"payload", {{"input", "four words in here"}}},
            {"mode", "ask"}};
  auto res
    = post_json(port(), "/v1/actors/plugins%2Ftextstats/messages", body.dump());
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc.value("type", ""), "bsm.v1.ChatReply") << doc.dump();
  EXPECT_NE(doc["payload"].value("output", std::string{}).find(R"("words":4)"),
            std::string::npos)
    << doc.dump();
  // A type the kind did not declare is refused at the door.
  json other{{"type", "bsm.v1.PingRequest"},
             {"payload", json::object()},
             {"mode", "ask"}};
  auto refused = post_json(port(), "/v1/actors/plugins%2Ftextstats/messages",
                           other.dump());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << describe(refused);
}

TEST_F(Plugins, ABrokenPluginIsSkippedListedAndCounted) {
  auto res = get(port(), "/v1/plugins");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto list = body_of(*res)["plugins"];
  ASSERT_EQ(list.size(), 3u) << list.dump();
  EXPECT_EQ(list[0]["name"], "textstats");
  EXPECT_EQ(list[0]["state"], "loaded");
  EXPECT_EQ(list[0]["tools"],
            json::array({"textstats__count", "textstats__crc32"}));
  EXPECT_EQ(list[0]["actor_kinds"][0]["path"], "plugins/textstats");
  EXPECT_EQ(list[1]["name"], "testgood");
  EXPECT_EQ(list[2]["state"], "failed");
  EXPECT_EQ(list[2]["name"], "testthrows");
  EXPECT_EQ(list[2]["path"], TEST_PLUGIN_THROWS);
  EXPECT_EQ(list[2]["reason"], "registration threw: registration exploded");
  auto metrics = get(port(), "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("bsm_plugins{state=\"failed\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("bsm_plugins{state=\"loaded\"} 2"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("bsm_plugin_tool_calls_total{plugin=\""
                               "textstats\",outcome=\"ok\"}"),
            std::string::npos);
}

size_t count_lines(const std::string& text) {
  size_t n = 0;
  for (char c : text)
    n += c == '\n' ? 1 : 0;
  return n;
}

TEST(PluginsRequired, APluginOfAnotherAbiStopsBsmdWithExitCodeTwo) {
  temp_dir dir;
  auto argv = bsm::test::node_argv(
    BSMD_PATH, std::string{BSM_SOURCE_DIR} + "/config/node.yaml",
    dir.path() / "data",
    {bsm::test::seed_agents_set(),
     std::string{"plugins.paths=["} + TEXTSTATS_PLUGIN + ", "
       + TEST_PLUGIN_BAD_ABI + "]",
     "plugins.required=true"});
  auto res = bsm::test::run(argv, dir.path());
  EXPECT_EQ(res.code, 2) << res.err;
  EXPECT_EQ(count_lines(res.err), 1u) << res.err;
  EXPECT_NE(res.err.find(TEST_PLUGIN_BAD_ABI), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("built for plugin ABI 999"), std::string::npos)
    << res.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "ports.json"));
}

TEST(PluginsRequired, WithoutRequiredTheSameNodeStartsAndSkipsIt) {
  temp_dir dir;
  bsm::test::test_node node{
    dir.path(),
    dir.path() / "data",
    {bsm::test::seed_agents_set(),
     std::string{"plugins.paths=["} + TEST_PLUGIN_BAD_ABI + "]"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  auto res = get(node.port(), "/v1/plugins");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto list = body_of(*res)["plugins"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["state"], "failed");
  EXPECT_NE(list[0]["reason"].get<std::string>().find("ABI 999"),
            std::string::npos);
  EXPECT_EQ(node.stop(), 0);
}

} // namespace
