// The MCP server's protocol decisions: messages read and refused, the
// version initialize settles on, the agents as tools and their arguments.

#include "gateway/mcp_protocol.hpp"

#include <gtest/gtest.h>

namespace {

namespace gw = bsm::gateway;
using json = nlohmann::json;

gw::rpc_failure failure_of(const json& body) {
  auto read = gw::read_message(body);
  if (!std::holds_alternative<gw::rpc_failure>(read)) {
    ADD_FAILURE() << "accepted " << body;
    return {0, ""};
  }
  return std::get<gw::rpc_failure>(read);
}

TEST(McpProtocol, ReadsRequestsNotificationsAndResponses) {
  auto req = std::get<gw::rpc_message>(gw::read_message(
    json{{"jsonrpc", "2.0"}, {"id", 7}, {"method", "tools/list"}}));
  EXPECT_EQ(req.type, gw::rpc_message::kind::request);
  EXPECT_EQ(req.id, 7);
  EXPECT_EQ(req.method, "tools/list");
  EXPECT_TRUE(req.params.is_object());
  auto note = std::get<gw::rpc_message>(gw::read_message(
    json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}));
  EXPECT_EQ(note.type, gw::rpc_message::kind::notification);
  auto resp = std::get<gw::rpc_message>(gw::read_message(
    json{{"jsonrpc", "2.0"}, {"id", "a"}, {"result", json::object()}}));
  EXPECT_EQ(resp.type, gw::rpc_message::kind::response);
}

TEST(McpProtocol, RefusesWhatIsNoOneMessage) {
  EXPECT_EQ(failure_of(json::array({json{{"jsonrpc", "2.0"}}})).code,
            gw::rpc_code::invalid_request);
  EXPECT_EQ(failure_of(json{{"id", 1}, {"method", "ping"}}).code,
            gw::rpc_code::invalid_request);
  EXPECT_EQ(
    failure_of(json{{"jsonrpc", "2.0"}, {"id", 1.5}, {"method", "ping"}}).code,
    gw::rpc_code::invalid_request);
  EXPECT_EQ(
    failure_of(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", ""}}).code,
    gw::rpc_code::invalid_request);
  EXPECT_EQ(failure_of(json{{"jsonrpc", "2.0"}, {"id", 1}}).code,
            gw::rpc_code::invalid_request);
  EXPECT_EQ(failure_of(json{{"jsonrpc", "2.0"},
                            {"id", 1},
                            {"method", "ping"},
                            {"params", json::array()}})
              .code,
            gw::rpc_code::invalid_params);
}

TEST(McpProtocol, InitializeSettlesOnTheClientsVersionIfServed) {
  std::string version;
  auto result = gw::initialize_result({{"protocolVersion", "2025-06-18"}},
                                      "node-a", &version);
  EXPECT_EQ(version, "2025-06-18");
  EXPECT_EQ(result["protocolVersion"], "2025-06-18");
  EXPECT_TRUE(result["capabilities"].contains("tools"));
  EXPECT_TRUE(result["capabilities"].contains("logging"));
  EXPECT_EQ(result["serverInfo"]["name"], "bsm-agentos");
  gw::initialize_result({{"protocolVersion", "1999-01-01"}}, "node-a",
                        &version);
  EXPECT_EQ(version, "2025-11-25");
  gw::initialize_result(json::object(), "node-a", &version);
  EXPECT_EQ(version, "2025-11-25");
}

TEST(McpProtocol, AgentsAreAskTools) {
  EXPECT_EQ(gw::tool_name("legal"), "ask_legal");
  EXPECT_EQ(gw::agent_of("ask_legal"), "legal");
  EXPECT_FALSE(gw::agent_of("ask_"));
  EXPECT_FALSE(gw::agent_of("legal"));
  auto list
    = gw::tools_list_result({{"legal", "Reviews contracts."}, {"x", ""}});
  ASSERT_EQ(list["tools"].size(), 2u);
  const auto& tool = list["tools"][0];
  EXPECT_EQ(tool["name"], "ask_legal");
  EXPECT_EQ(tool["description"], "Reviews contracts.");
  EXPECT_EQ(tool["inputSchema"]["required"], json::array({"message"}));
  EXPECT_FALSE(list["tools"][1]["description"].get<std::string>().empty());
}

TEST(McpProtocol, AskArgumentsAreChecked) {
  auto ok
    = gw::read_ask_arguments({{"message", "hi"}, {"session_id", "s1"}}, 100);
  ASSERT_TRUE(std::holds_alternative<gw::ask_arguments>(ok));
  EXPECT_EQ(std::get<gw::ask_arguments>(ok).session_id, "s1");
  for (const auto& bad :
       {json{{"session_id", "s1"}}, json{{"message", ""}}, json{{"message", 5}},
        json{{"message", "hi"}, {"extra", 1}},
        json{{"message", std::string(101, 'x')}},
        json{{"message", "hi"}, {"session_id", std::string(129, 's')}},
        json::array()}) {
    auto read = gw::read_ask_arguments(bad, 100);
    ASSERT_TRUE(std::holds_alternative<gw::rpc_failure>(read)) << bad;
    EXPECT_EQ(std::get<gw::rpc_failure>(read).code,
              gw::rpc_code::invalid_params);
  }
}

TEST(McpProtocol, AgentSessionsAreResourcesByUri) {
  EXPECT_EQ(gw::session_uri("runner", "s-1"),
            "bsm://agents/runner/sessions/s-1");
  auto named = gw::parse_session_uri("bsm://agents/runner/sessions/s-1");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->first, "runner");
  EXPECT_EQ(named->second, "s-1");
  for (const auto* bad :
       {"bsm://agents/runner/sessions/", "bsm://agents//sessions/s-1",
        "http://agents/runner/sessions/s-1", "bsm://agents/runner/s-1",
        "bsm://agents/run:ner/sessions/s-1",
        "bsm://agents/runner/sessions/s-1/../x"})
    EXPECT_FALSE(gw::parse_session_uri(bad)) << bad;
  auto list = gw::resources_list_result({{"runner", "s-1"}});
  EXPECT_EQ(list["resources"][0]["uri"], "bsm://agents/runner/sessions/s-1");
  auto read = gw::resource_read_result("u", "{}");
  EXPECT_EQ(read["contents"][0]["mimeType"], "application/json");
}

TEST(McpProtocol, ResultsAndLevels) {
  auto answer = gw::answer_result("Done.", "s-1");
  EXPECT_EQ(answer["content"][0]["text"], "Done.");
  EXPECT_EQ(answer["structuredContent"]["session_id"], "s-1");
  EXPECT_FALSE(answer["isError"].get<bool>());
  EXPECT_TRUE(gw::failed_result("no")["isError"].get<bool>());
  EXPECT_TRUE(gw::log_level_known("warning"));
  EXPECT_FALSE(gw::log_level_known("warn"));
  auto p = gw::progress_notification("tok", 2, "calling memory_put");
  EXPECT_EQ(p["method"], "notifications/progress");
  EXPECT_EQ(p["params"]["progressToken"], "tok");
  EXPECT_EQ(p["params"]["progress"], 2);
}

} // namespace
