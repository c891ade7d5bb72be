// The MCP server at /mcp (API.md, "MCP server"; ECOSYSTEM.md, MCP): a real
// bsmd with the seed agents, asked by the official MCP SDK's client over
// Streamable HTTP (tests/integration/mcp_sdk_check.mjs, once per suite)
// and by hand for what a well-behaved client never sends.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "event_stream.hpp"
#include "process.hpp"
#include "scripted_upstream.hpp"
#include "test_node.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using bsm::test::completion;
using bsm::test::describe;
using bsm::test::header_list;
using bsm::test::json_reply;
using bsm::test::opt_response;
using bsm::test::scripted_upstream;
namespace fs = std::filesystem;

struct seed_agents {
  static std::vector<std::string> get() {
    return {bsm::test::seed_agents_set()};
  }
};

class McpServer : public bsm::test::configured_node<seed_agents> {
protected:
  static void SetUpTestSuite() {
    configured_node::SetUpTestSuite();
    sdk_ = new json(run_sdk_check(&sdk_failure_));
  }

  static void TearDownTestSuite() {
    delete sdk_;
    sdk_ = nullptr;
    configured_node::TearDownTestSuite();
  }

  static json run_sdk_check(std::string* failure) {
    auto node = bsm::test::find_in_path("node");
    auto peers = fs::path{BSM_SOURCE_DIR} / "tests/peers/node_modules";
    if (node.empty() || !fs::exists(peers / "@modelcontextprotocol/sdk")) {
      *failure = "node or the test peers are missing: run "
                 "tests/peers/install.sh (make test does)";
      return {};
    }
    auto script
      = fs::path{BSM_SOURCE_DIR} / "tests/integration/mcp_sdk_check.mjs";
    auto url = "http://127.0.0.1:" + std::to_string(port()) + "/mcp";
    auto run = bsm::test::run({node, script.string(), url}, dir_->path(), 90s);
    auto end = run.out.find_last_not_of("\r\n");
    auto start = run.out.rfind('\n', end);
    auto line = run.out.substr(start == std::string::npos ? 0 : start + 1);
    auto results = json::parse(line, nullptr, false);
    if (run.code != 0 || !results.is_object())
      *failure = "the script exited with " + std::to_string(run.code)
                 + "\nstdout: " + run.out + "\nstderr: " + run.err;
    return results;
  }

  /// The SDK's observations of `name`, failing the test when it threw.
  static testing::AssertionResult part(const std::string& name, json& out) {
    if (!sdk_failure_.empty())
      return testing::AssertionFailure() << sdk_failure_;
    auto it = sdk_->find(name);
    if (it == sdk_->end() || !it->is_object() || it->contains("error"))
      return testing::AssertionFailure()
             << "part '" << name << "': " << sdk_->dump();
    out = *it;
    return testing::AssertionSuccess();
  }

  static opt_response post(const json& body, header_list headers = {}) {
    headers.emplace_back("Accept", "application/json, text/event-stream");
    return bsm::test::post_json(port(), "/mcp", body.dump(), headers);
  }

  /// A new session's id.
  static std::string initialize() {
    auto res = post({{"jsonrpc", "2.0"},
                     {"id", 1},
                     {"method", "initialize"},
                     {"params",
                      {{"protocolVersion", "2025-11-25"},
                       {"capabilities", json::object()},
                       {"clientInfo", {{"name", "raw"}, {"version", "1"}}}}}});
    EXPECT_TRUE(res && res->status == 200) << describe(res);
    return res ? res->header("Mcp-Session-Id") : std::string{};
  }

  static json rpc(const std::string& session, const std::string& method,
                  json params = json::object()) {
    auto res = post(
      {{"jsonrpc", "2.0"}, {"id", 2}, {"method", method}, {"params", params}},
      {{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-11-25"}});
    EXPECT_TRUE(res && res->status == 200) << describe(res);
    if (!res)
      return json{};
    if (res->header("Content-Type") != "text/event-stream")
      return bsm::test::body_of(*res);
    // A tools/call answered as an event stream: the priming event (an id,
    // empty data), then the response.
    auto data = bsm::test::sse_data(res->body);
    EXPECT_EQ(data.size(), 2u) << res->body;
    EXPECT_EQ(res->body.rfind("id: ", 0), 0u) << res->body;
    return data.empty() ? json{} : json::parse(data.back(), nullptr, false);
  }

  static inline json* sdk_ = nullptr;
  static inline std::string sdk_failure_;
};

TEST_F(McpServer, TheSdkClientInitializesWithASession) {
  json x;
  ASSERT_TRUE(part("initialize", x));
  EXPECT_EQ(x["server"]["name"], "bsm-agentos") << x;
  EXPECT_TRUE(x["capabilities"].contains("tools")) << x;
  EXPECT_EQ(x["session"].get<std::string>().size(), 32u) << x;
  EXPECT_EQ(x["protocol"], "2025-11-25") << x;
  ASSERT_TRUE(part("ping", x));
  ASSERT_TRUE(part("logging", x));
}

TEST_F(McpServer, EveryAgentIsAnAskTool) {
  json x;
  ASSERT_TRUE(part("tools", x));
  for (const auto* agent :
       {"legal", "governance", "security", "architect", "runner", "ml"}) {
    auto name = std::string{"ask_"} + agent;
    EXPECT_NE(std::find(x["names"].begin(), x["names"].end(), name),
              x["names"].end())
      << name << " missing: " << x["names"];
  }
  EXPECT_EQ(x["runner"]["inputSchema"]["required"], json::array({"message"}));
}

TEST_F(McpServer, ACallRunsATurnWithProgressAndItsSessionGoesOn) {
  json x;
  ASSERT_TRUE(part("call", x));
  const auto& result = x["result"];
  EXPECT_FALSE(result.value("isError", true)) << result;
  ASSERT_TRUE(result["content"].is_array() && !result["content"].empty())
    << result;
  EXPECT_FALSE(result["content"][0]["text"].get<std::string>().empty());
  auto session = result["structuredContent"]["session_id"];
  ASSERT_TRUE(session.is_string() && !session.get<std::string>().empty())
    << result;
  // The turn's memory_put came as progress while it ran.
  ASSERT_FALSE(x["progress"].empty()) << x;
  EXPECT_EQ(x["progress"][0]["message"], "calling memory_put") << x;
  ASSERT_TRUE(part("session", x));
  EXPECT_EQ(x["result"]["structuredContent"]["session_id"], session) << x;
  // The agent session has both turns.
  auto turns = bsm::test::get(port(), "/v1/agents/runner/sessions/"
                                        + session.get<std::string>());
  ASSERT_TRUE(turns && turns->status == 200) << describe(turns);
  EXPECT_EQ(bsm::test::body_of(*turns)["turns"].size(), 4u) << turns->body;
}

TEST_F(McpServer, TheAgentSessionsOfItsCallsAreResources) {
  json call;
  ASSERT_TRUE(part("call", call));
  auto session = call["result"]["structuredContent"]["session_id"];
  json x;
  ASSERT_TRUE(part("resources", x));
  auto uri = "bsm://agents/runner/sessions/" + session.get<std::string>();
  EXPECT_EQ(x["uris"], json::array({uri})) << x;
  EXPECT_EQ(x["template"], "bsm://agents/{agent}/sessions/{session_id}");
  ASSERT_TRUE(x["read"].is_object()) << x;
  EXPECT_EQ(x["read"]["session_id"], session) << x;
  ASSERT_GE(x["read"]["turns"].size(), 2u) << x;
  EXPECT_EQ(x["read"]["turns"][0]["content"], "remember owner is alice") << x;
  EXPECT_TRUE(x["missing"].value("thrown", false)) << x;
  EXPECT_EQ(x["missing"]["code"], -32002) << x;
}

TEST_F(McpServer, AnUnknownToolIsAnErrorAndAnEndedSessionIsGone) {
  json x;
  ASSERT_TRUE(part("unknown", x));
  EXPECT_TRUE(x.value("thrown", false)) << x;
  EXPECT_EQ(x["code"], -32602) << x;
  ASSERT_TRUE(part("terminate", x));
  EXPECT_EQ(x["after"], 404) << x;
}

TEST_F(McpServer, RequestsAndSessionsAreCounted) {
  json x;
  ASSERT_TRUE(part("call", x));
  auto metrics = bsm::test::get(port(), "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200) << describe(metrics);
  for (const auto* series :
       {R"(bsm_mcp_requests_total{method="initialize"})",
        R"(bsm_mcp_requests_total{method="tools/call"})", "bsm_mcp_sessions "})
    EXPECT_NE(metrics->body.find(series), std::string::npos) << series;
}

TEST_F(McpServer, RequestsOutsideASessionAreRefused) {
  json ping{{"jsonrpc", "2.0"}, {"id", 5}, {"method", "ping"}};
  auto none = post(ping);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 400) << none->body;
  EXPECT_EQ(bsm::test::body_of(*none)["error"]["code"], -32600);
  auto unknown = post(ping, {{"Mcp-Session-Id", std::string(32, 'a')}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  auto session = initialize();
  ASSERT_FALSE(session.empty());
  auto version = post(
    ping, {{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "1.0"}});
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 400) << version->body;
  auto note
    = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
           {{"Mcp-Session-Id", session}});
  ASSERT_TRUE(note);
  EXPECT_EQ(note->status, 202) << note->body;
  EXPECT_TRUE(note->body.empty());
}

TEST_F(McpServer, BadMessagesGetJsonRpcErrors) {
  auto session = initialize();
  ASSERT_FALSE(session.empty());
  header_list in_session{{"Mcp-Session-Id", session}};
  auto garbage
    = bsm::test::post_json(port(), "/mcp", "{not json",
                           {{"Accept", "application/json, text/event-stream"}});
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(bsm::test::body_of(*garbage)["error"]["code"], -32700);
  auto batch
    = post(json::array({{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}}),
           in_session);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->status, 400);
  EXPECT_EQ(bsm::test::body_of(*batch)["error"]["code"], -32600);
  EXPECT_EQ(rpc(session, "prompts/list")["error"]["code"], -32601);
  for (const auto& level : {json("loud"), json(3)})
    EXPECT_EQ(
      rpc(session, "logging/setLevel", {{"level", level}})["error"]["code"],
      -32602)
      << level;
  for (const auto& args : {json::object(), json{{"message", 7}},
                           json{{"message", "hi"}, {"x", 1}}}) {
    auto answer = rpc(session, "tools/call",
                      {{"name", "ask_runner"}, {"arguments", args}});
    EXPECT_EQ(answer["error"]["code"], -32602) << args << " " << answer;
  }
  auto html = bsm::test::post_json(
    port(), "/mcp",
    json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}}.dump(),
    {{"Accept", "text/html"}, {"Mcp-Session-Id", session}});
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 406) << html->body;
  auto stream = bsm::test::get(port(), "/mcp");
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 405) << stream->body;
}

TEST_F(McpServer, AnotherHostOrOriginIsRefused) {
  json init{{"jsonrpc", "2.0"},
            {"id", 1},
            {"method", "initialize"},
            {"params", {{"protocolVersion", "2025-11-25"}}}};
  for (const auto& [host, origin] :
       std::vector<std::pair<std::string, std::string>>{
         {"evil.example.com", "http://evil.example.com"},
         {"127.0.0.1", "http://evil.example.com"}}) {
    auto res = post(init, {{"Host", host}, {"Origin", origin}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << host << " " << origin << ": " << res->body;
  }
  auto local = "127.0.0.1:" + std::to_string(port());
  auto ok = post(init, {{"Host", local}, {"Origin", "http://" + local}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

// notifications/cancelled cancels the call's turn: the agent's model is
// held, so the turn surely runs when the cancel comes; the call is then
// answered as cancelled, the agent session keeps nothing of it, and the
// session's next call runs (the cancelled turn released it).
TEST(McpServerCancel, CancellingACallCancelsItsTurn) {
  bsm::test::temp_dir dir;
  scripted_upstream up;
  up.push_held(json_reply(200, completion("the cancelled answer")));
  auto agents = dir.path() / "agents";
  fs::create_directories(agents);
  std::ofstream{agents / "held.yaml"}
    << "name: held\ndescription: Waits for its model.\n"
       "system_prompt: You wait.\n"
       "model: {provider: openai, name: test-model}\n";
  bsm::test::test_node node{dir.path(),
                            dir.path() / "data",
                            {"agents.paths=[" + agents.string() + "]",
                             "openai.base_url=" + up.base_url(),
                             "openai.api_key=test"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  // JSON answers (no event streams) keep the reads simple.
  header_list accept{{"Accept", "application/json"}};
  auto init = bsm::test::post_json(
    node.port(), "/mcp",
    json{{"jsonrpc", "2.0"},
         {"id", 1},
         {"method", "initialize"},
         {"params",
          {{"protocolVersion", "2025-11-25"},
           {"capabilities", json::object()},
           {"clientInfo", {{"name", "raw"}, {"version", "1"}}}}}}
      .dump(),
    accept);
  ASSERT_TRUE(init && init->status == 200) << describe(init);
  auto session = init->header("Mcp-Session-Id");
  header_list in_session = accept;
  in_session.emplace_back("Mcp-Session-Id", session);
  auto call = [&](int id, const std::string& agent_session) {
    json args{{"message", "hello"}, {"session_id", agent_session}};
    return json{{"jsonrpc", "2.0"},
                {"id", id},
                {"method", "tools/call"},
                {"params", {{"name", "ask_held"}, {"arguments", args}}}}
      .dump();
  };
  bsm::test::http_connection first{node.port()};
  ASSERT_TRUE(first.send(bsm::test::make_request(
    "POST", "/mcp",
    {{"Content-Type", "application/json"}, in_session[0], in_session[1]},
    call(7, "s-cancel-me"))))
    << first.error();
  ASSERT_TRUE(up.await_requests(1, bsm::test::generous_deadline));
  auto cancel = bsm::test::post_json(
    node.port(), "/mcp",
    json{{"jsonrpc", "2.0"},
         {"method", "notifications/cancelled"},
         {"params", {{"requestId", 7}, {"reason", "the user gave up"}}}}
      .dump(),
    in_session);
  ASSERT_TRUE(cancel && cancel->status == 202) << describe(cancel);
  auto answer = first.read_response(bsm::test::generous_deadline);
  ASSERT_TRUE(answer && answer->status == 200) << first.error();
  auto result = bsm::test::body_of(*answer)["result"];
  EXPECT_TRUE(result.value("isError", false)) << answer->body;
  EXPECT_NE(answer->body.find("cancelled"), std::string::npos) << answer->body;
  // The held answer comes too late for anyone.
  up.release();
  up.push(json_reply(200, completion("the second answer")));
  auto second = bsm::test::post_json(node.port(), "/mcp",
                                     call(8, "s-cancel-me"), in_session);
  ASSERT_TRUE(second && second->status == 200) << describe(second);
  EXPECT_NE(second->body.find("the second answer"), std::string::npos)
    << second->body;
  auto turns
    = bsm::test::get(node.port(), "/v1/agents/held/sessions/s-cancel-me");
  ASSERT_TRUE(turns && turns->status == 200) << describe(turns);
  // Only the second call's input and answer.
  EXPECT_EQ(bsm::test::body_of(*turns)["turns"].size(), 2u) << turns->body;
  EXPECT_EQ(turns->body.find("the cancelled answer"), std::string::npos);
  EXPECT_EQ(node.stop(), 0) << node.proc().err();
}

} // namespace
