// Agents on real bsmd processes (API.md, "Agents"): the seed agents on the
// local provider, sessions across kill -9, the turn loop's limits and tool
// errors, delegation, events, metrics, bad definitions and SIGHUP reloads.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "fake_mcp_http_server.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::describe;
using bsm::test::get;
using bsm::test::opt_response;
using bsm::test::post_json;
using bsm::test::temp_dir;
using bsm::test::test_node;
using json = nlohmann::json;

const std::string source_dir = BSM_SOURCE_DIR;
const std::string local_marker = "(local provider:";

opt_response chat(uint16_t port, const std::string& agent, json body) {
  return post_json(port, "/v1/agents/" + agent + "/chat", body.dump());
}

// The turns the memory actor keeps for a session, through message injection.
json session_turns(uint16_t port, const std::string& agent,
                   const std::string& session) {
  json req{{"type", "bsm.v1.SessionReadRequest"},
           {"payload", {{"agent", agent}, {"session_id", session}}},
           {"mode", "ask"}};
  auto res = post_json(port, "/v1/actors/memory/messages", req.dump());
  if (!res || res->status != 200)
    return json::array();
  auto doc = body_of(*res);
  return doc["payload"].value("turns", json::array());
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::trunc};
  out << text;
}

std::string agent_yaml(const std::string& name, const std::string& extra) {
  return "name: " + name + "\ndescription: Test agent " + name
         + ".\nsystem_prompt: You are a test agent.\n" + extra;
}

// Test agents beside the seed ones: tight limits, delegation to itself.
void write_test_agents(const std::filesystem::path& dir) {
  write_file(dir / "onestep.yaml",
             agent_yaml("onestep", "tools: [current_time]\n"
                                   "limits:\n  max_steps: 1\n"));
  write_file(dir / "echoer.yaml",
             agent_yaml("echoer", "tools: [ask_agent, memory_get]\n"
                                  "delegates: [echoer]\n"));
}

// -- a node with the seed agents and the test agents --------------------------

class Agents : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    write_test_agents(dir_->path() / "test-agents");
    node_ = new test_node{dir_->path(),
                          dir_->path() / "data",
                          {"agents.paths=[" + source_dir + "/agents/seed,"
                           + (dir_->path() / "test-agents").string() + "]"}};
  }

  static void TearDownTestSuite() {
    if (node_ != nullptr)
      node_->stop();
    delete node_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
  }

  static uint16_t port() {
    return node_->port();
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
};

TEST_F(Agents, ListShowsEverySeedAgentWithItsFields) {
  auto res = get(port(), "/v1/agents");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  std::set<std::string> names;
  for (const auto& x : doc["agents"]) {
    names.insert(x["name"].get<std::string>());
    for (const char* field : {"description", "node", "state", "model"})
      EXPECT_TRUE(x[field].is_string()) << field << ": " << x;
    EXPECT_TRUE(x["tools"].is_array()) << x;
    // Each tool with where it comes from; the seed agents' are built in.
    for (const auto& tool : x["tools"])
      EXPECT_EQ(x["tool_sources"][tool.get<std::string>()], "builtin") << x;
    EXPECT_TRUE(x["mailbox_depth"].is_number_integer()) << x;
    EXPECT_TRUE(x["restarts"].is_number_integer()) << x;
    EXPECT_EQ(x["state"], "running") << x;
    EXPECT_EQ(x["node"], "node-a") << x;
  }
  for (const char* seed :
       {"legal", "governance", "security", "architect", "runner", "ml"})
    EXPECT_EQ(names.count(seed), 1u) << seed << " missing: " << res->body;
}

TEST_F(Agents, OneAgentByNameAnd404ForAnUnknownOne) {
  auto res = get(port(), "/v1/agents/legal");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc["name"], "legal");
  EXPECT_EQ(doc["model"], "local/local");
  auto missing = get(port(), "/v1/agents/nobody");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << missing->body;
  EXPECT_EQ(body_of(*missing)["error"]["code"], "not_found");
}

TEST_F(Agents, EverySeedAgentAnswersARepresentativeQuestion) {
  // Each question's answer must quote the file that covers it.
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
    {"legal", "What must a GDPR data processing agreement contain?", ".md"},
    {"governance", "Who approves a change and how is it recorded?", ".md"},
    {"security", "How do we respond to a security incident?", ".md"},
    {"architect", "Why does a supervisor restart a crashed actor?", ".md"},
    {"runner", "How do I check that a node is healthy?", ".md"},
    {"ml", "How do I evaluate a text classifier?", ".md"},
  };
  for (const auto& [agent, question, source] : cases) {
    auto res = chat(port(), agent, {{"input", question}});
    ASSERT_TRUE(res && res->status == 200) << agent << ": " << describe(res);
    auto doc = body_of(*res);
    auto output = doc["output"].get<std::string>();
    EXPECT_EQ(doc["agent"], agent);
    EXPECT_EQ(output.rfind(local_marker, 0), 0u) << agent << ": " << output;
    EXPECT_NE(output.find("[1] "), std::string::npos)
      << agent << " quoted no knowledge: " << output;
    EXPECT_NE(output.find(source), std::string::npos)
      << agent << ": " << output;
    EXPECT_FALSE(doc["session_id"].get<std::string>().empty());
    EXPECT_GT(doc["usage"]["total_tokens"].get<int64_t>(), 0) << res->body;
  }
}

TEST_F(Agents, ASessionKeepsItsTurnsInOrder) {
  auto first = chat(port(), "runner", {{"input", "remember owner is alice"}});
  ASSERT_TRUE(first && first->status == 200) << describe(first);
  auto session = body_of(*first)["session_id"].get<std::string>();
  ASSERT_FALSE(session.empty());
  auto second = chat(port(), "runner",
                     {{"input", "recall owner"}, {"session_id", session}});
  ASSERT_TRUE(second && second->status == 200) << describe(second);
  auto doc = body_of(*second);
  EXPECT_EQ(doc["session_id"], session);
  ASSERT_EQ(doc["steps"].size(), 1u) << second->body;
  EXPECT_EQ(doc["steps"][0]["tool"], "memory_get");
  EXPECT_NE(doc["steps"][0]["result"].get<std::string>().find("alice"),
            std::string::npos)
    << second->body;
  auto turns = session_turns(port(), "runner", session);
  ASSERT_EQ(turns.size(), 4u) << turns;
  EXPECT_EQ(turns[0]["role"], "user");
  EXPECT_EQ(turns[0]["content"], "remember owner is alice");
  EXPECT_EQ(turns[1]["role"], "assistant");
  EXPECT_EQ(turns[2]["content"], "recall owner");
  EXPECT_EQ(turns[3]["role"], "assistant");
}

TEST_F(Agents, AFailingToolGivesTheModelAnErrorResult) {
  auto res = chat(port(), "echoer", {{"input", "call memory_get {}"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_TRUE(doc["steps"][0]["is_error"].get<bool>()) << res->body;
  EXPECT_NE(doc["steps"][0]["result"].get<std::string>().find("key"),
            std::string::npos)
    << res->body;
  EXPECT_FALSE(doc["output"].get<std::string>().empty());
}

TEST_F(Agents, AToolTheAgentMayNotUseIsAnErrorResult) {
  auto res = chat(port(), "echoer", {{"input", "call current_time"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  // current_time is not in echoer's tools, so it is not even offered: the
  // local provider then answers without calling it.
  auto doc = body_of(*res);
  for (const auto& step : doc["steps"])
    EXPECT_NE(step["tool"], "current_time") << res->body;
}

TEST_F(Agents, TheStepLimitEndsTheTurnWithAClearError) {
  auto res = chat(port(), "onestep", {{"input", "what time is it?"}});
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, 400) << res->body;
  auto doc = body_of(*res);
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("step limit"),
            std::string::npos)
    << res->body;
}

TEST_F(Agents, DelegatingToItselfIsRefusedAsALoop) {
  auto res = chat(port(), "echoer", {{"input", "ask echoer: hello"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_EQ(doc["steps"][0]["tool"], "ask_agent");
  EXPECT_TRUE(doc["steps"][0]["is_error"].get<bool>());
  EXPECT_NE(doc["steps"][0]["result"].get<std::string>().find("loop"),
            std::string::npos)
    << res->body;
}

TEST_F(Agents, DelegatingToAnotherAgentReturnsItsAnswer) {
  auto res = chat(port(), "architect",
                  {{"input", "ask security: how should secrets be stored?"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_FALSE(doc["steps"][0]["is_error"].get<bool>()) << res->body;
  EXPECT_NE(doc["steps"][0]["result"].get<std::string>().find("secret"),
            std::string::npos)
    << res->body;
}

TEST_F(Agents, ASeedAgentMayNotAskAnAgentOutsideItsDelegates) {
  // runner delegates to architect only.
  auto res = chat(port(), "runner", {{"input", "ask legal: what is a DPA?"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_EQ(doc["steps"][0]["tool"], "ask_agent");
  EXPECT_TRUE(doc["steps"][0]["is_error"].get<bool>());
  EXPECT_EQ(doc["steps"][0]["result"],
            "agent 'runner' may not ask agent 'legal' (not among its "
            "delegates)")
    << res->body;
}

// -- the caller's permissions -------------------------------------------------

// A chat with governance (which delegates to legal) for user bob, whose
// roles grant `permissions`, injected as a ChatRequest with its caller; the
// ChatReply, or null.
namespace {} // namespace

TEST_F(Agents, BadChatRequestsAreRefused) {
  auto unknown = chat(port(), "nobody", {{"input", "hi"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  auto empty = chat(port(), "legal", json::object());
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400) << empty->body;
  auto extra = chat(port(), "legal", {{"input", "hi"}, {"inptu", "typo"}});
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->status, 400) << extra->body;
  auto not_json = post_json(port(), "/v1/agents/legal/chat", "{input:");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400) << not_json->body;
  auto text = bsm::test::http_exchange(
    port(), bsm::test::make_request("POST", "/v1/agents/legal/chat",
                                    {{"Content-Type", "text/plain"}}, "hi"));
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415) << text->body;
}

TEST_F(Agents, TurnsAreCountedInTheMetrics) {
  ASSERT_TRUE(chat(port(), "ml", {{"input", "what is a confusion matrix?"}}));
  auto res = get(port(), "/metrics");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_NE(
    res->body.find("bsm_agent_turns_total{agent=\"ml\",outcome=\"ok\"}"),
    std::string::npos);
  EXPECT_NE(
    res->body.find("bsm_agent_turn_overhead_seconds_bucket{agent=\"ml\""),
    std::string::npos);
  EXPECT_NE(res->body.find("bsm_agent_steps_total{agent=\"ml\"}"),
            std::string::npos);
}

TEST_F(Agents, ATurnPublishesItsStepsOnTheEventBus) {
  bsm::test::http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(bsm::test::make_request(
    "GET", "/v1/events?topic=agent.governance.%23", {})));
  auto head = conn.read_head(5s);
  ASSERT_TRUE(head && head->status == 200) << conn.error();
  ASSERT_TRUE(conn.read_until(": subscribed", 5s)) << conn.buffered();
  ASSERT_TRUE(chat(port(), "governance", {{"input", "call current_time"}}));
  EXPECT_TRUE(conn.read_until("agent.governance.completed", 10s))
    << conn.buffered();
  const auto& seen = conn.buffered();
  EXPECT_NE(seen.find("agent.governance.step"), std::string::npos) << seen;
  EXPECT_NE(seen.find("agent.governance.tool_called"), std::string::npos)
    << seen;
}

// -- sessions across a crash --------------------------------------------------

TEST(AgentSessions, HistorySurvivesKill9) {
  temp_dir dir;
  auto data = dir.path() / "data";
  std::string session;
  {
    test_node node{dir.path(), data, {}};
    ASSERT_NE(node.port(), 0) << node.proc().err();
    auto res = chat(node.port(), "legal",
                    {{"input", "What is a limitation of liability?"},
                     {"session_id", "case-42"}});
    ASSERT_TRUE(res && res->status == 200) << describe(res);
    session = body_of(*res)["session_id"].get<std::string>();
    node.kill();
  }
  test_node node{dir.path(), data, {}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  auto res = chat(node.port(), "legal",
                  {{"input", "And an indemnity?"}, {"session_id", session}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto turns = session_turns(node.port(), "legal", session);
  ASSERT_EQ(turns.size(), 4u) << turns;
  EXPECT_EQ(turns[0]["content"], "What is a limitation of liability?");
  EXPECT_EQ(turns[2]["content"], "And an indemnity?");
  // uint64 is a string in protobuf's JSON mapping.
  EXPECT_LT(std::stoll(turns[1]["seq"].get<std::string>()),
            std::stoll(turns[2]["seq"].get<std::string>()));
  node.stop();
}

// -- more sessions than memory holds turn numbers for
// ---------------------------

// The value of an unlabelled series in a /metrics text; -1 if missing.
double metric_value(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

// Send a session turn through the memory's durable mailbox (the effect
// path), answered 202 once it is in the mailbox.
bool tell_turn(uint16_t port, const std::string& session,
               const std::string& content) {
  json req{{"type", "bsm.v1.SessionAppendRequest"},
           {"payload",
            {{"agent", "runner"},
             {"session_id", session},
             {"role", "user"},
             {"content", content}}},
           {"mode", "tell"}};
  auto res = post_json(port, "/v1/actors/memory/messages", req.dump());
  return res && res->status == 202;
}

TEST(AgentSessions, MoreSessionsThanTheSequenceBoundKeepTheirHistory) {
  temp_dir dir;
  test_node node{
    dir.path(),
    dir.path() / "data",
    {"memory.sequence_cache_sessions=3", "memory.session_cache_sessions=2"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  constexpr int sessions = 12;
  auto id = [](int i) {
    return "bounded-" + std::to_string(i);
  };
  // Two rounds of a chat turn (two turns each: input and answer) and one
  // turn through the mailbox, every session in turn: each round forgets
  // the numbers of all but the last three sessions.
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < sessions; ++i) {
      auto res = chat(
        node.port(), "runner",
        {{"input", "round " + std::to_string(round)}, {"session_id", id(i)}});
      ASSERT_TRUE(res && res->status == 200) << describe(res);
      ASSERT_TRUE(
        tell_turn(node.port(), id(i), "told " + std::to_string(round)));
      // The mailbox hands the told turn to memory a moment later: wait,
      // so that the next chat turn comes after it.
      auto want = static_cast<size_t>(3 * (round + 1));
      ASSERT_TRUE(bsm::test::poll_until([&] {
        return session_turns(node.port(), "runner", id(i)).size() == want;
      }))
        << id(i);
    }
  for (int i = 0; i < sessions; ++i) {
    auto turns = session_turns(node.port(), "runner", id(i));
    ASSERT_EQ(turns.size(), 6u) << id(i) << ": " << turns;
    std::vector<std::string> contents;
    for (size_t k = 0; k < turns.size(); ++k) {
      // uint64 is a string in protobuf's JSON mapping.
      EXPECT_EQ(turns[k]["seq"], std::to_string(k + 1)) << id(i) << turns;
      contents.push_back(turns[k]["content"].get<std::string>());
    }
    EXPECT_EQ(contents[0], "round 0") << turns;
    EXPECT_EQ(contents[2], "told 0") << turns;
    EXPECT_EQ(contents[3], "round 1") << turns;
    EXPECT_EQ(contents[5], "told 1") << turns;
  }
  auto metrics = get(node.port(), "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200) << describe(metrics);
  EXPECT_EQ(metric_value(metrics->body, "bsm_memory_sequence_cache_sessions"),
            3.0);
  EXPECT_GE(
    metric_value(metrics->body, "bsm_memory_sequence_cache_evictions_total"),
    2.0 * sessions - 3);
  // The other bounded caches show theirs too.
  EXPECT_GE(metric_value(metrics->body, "bsm_auth_verified_tokens"), 0.0);
  EXPECT_GE(metric_value(metrics->body, "bsm_tool_host_finished_calls"), 0.0);
  for (const auto* series : {"bsm_auth_login_backoff_keys{scope=\"user\"} ",
                             "bsm_auth_login_backoff_keys{scope=\"address\"} ",
                             "bsm_auth_login_backoff_evictions_total{scope="})
    EXPECT_NE(metrics->body.find(series), std::string::npos) << series;
  node.stop();
}

// -- MCP tools
// -----------------------------------------------------------------

namespace {

/// bsmd on `config` with the agents of `dir`/agents.
std::vector<std::string> agent_node_argv(const temp_dir& dir,
                                         const std::filesystem::path& config) {
  return bsm::test::node_argv(
    BSMD_PATH, config.string(), dir.path() / "data",
    {"agents.paths=[" + (dir.path() / "agents").string() + "]"});
}

/// The node's HTTP port once it listens; 0 if it does not.
uint16_t await_http_port(const temp_dir& dir, bsm::test::process& proc) {
  auto addr = bsm::test::await_http_address(dir.path() / "data", proc);
  if (!addr)
    return 0;
  return static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
}

/// Chats until the turn made one tool call (the MCP server lists its tools
/// once it has started); the last answer.
opt_response chat_until_a_step(uint16_t port, const std::string& agent,
                               const std::string& input) {
  opt_response res;
  (void)bsm::test::poll_until(
    [&] {
      res = chat(port, agent, {{"input", input}});
      return res && res->status == 200 && body_of(*res)["steps"].size() == 1;
    },
    bsm::test::generous_deadline, 100ms);
  return res;
}

} // namespace

TEST(AgentMcpTools, AnAgentCallsARealMcpServersTool) {
  temp_dir dir;
  auto everything = std::filesystem::path{source_dir} / "tests" / "peers"
                    / "node_modules" / "@modelcontextprotocol"
                    / "server-everything" / "dist" / "index.js";
  ASSERT_TRUE(std::filesystem::exists(everything))
    << everything << " is missing: run tests/peers/install.sh";
  auto config = dir.path() / "node.yaml";
  write_file(config, "tools:\n  mcp_servers:\n    - name: every\n"
                     "      command: node\n      args: ["
                       + everything.string() + ", stdio]\n");
  write_file(dir.path() / "agents" / "toolsmith.yaml",
             agent_yaml("toolsmith", "tools: [every__*]\n"));
  bsm::test::process proc{agent_node_argv(dir, config), dir.path()};
  auto port = await_http_port(dir, proc);
  ASSERT_NE(port, 0) << proc.err();
  auto res = chat_until_a_step(port, "toolsmith",
                               "call every__get-sum {\"a\": 2, \"b\": 3}");
  ASSERT_TRUE(res && res->status == 200) << describe(res) << proc.err();
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_EQ(doc["steps"][0]["tool"], "every__get-sum");
  EXPECT_FALSE(doc["steps"][0]["is_error"].get<bool>()) << res->body;
  EXPECT_NE(doc["steps"][0]["result"].get<std::string>().find("5"),
            std::string::npos)
    << res->body;
  auto unknown = chat(port, "toolsmith", {{"input", "call every__nope {}"}});
  ASSERT_TRUE(unknown && unknown->status == 200) << describe(unknown);
  // every__nope is not listed, so it is not offered: no call is made.
  EXPECT_TRUE(body_of(*unknown)["steps"].empty()) << unknown->body;
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait(20s), 0) << proc.err();
}

TEST(AgentMcpTools, AnAgentCallsAToolOfARemoteServerOverHttp) {
  temp_dir dir;
  bsm::test::fake_mcp_http_server remote;
  // The header's secret comes from bsmd's environment (inherited).
  ::setenv("BSM_TEST_MCP_HTTP_TOKEN", "e2e-secret", 1);
  auto config = dir.path() / "node.yaml";
  write_file(config, "tools:\n  mcp_servers:\n    - name: remote\n"
                     "      url: "
                       + remote.url()
                       + "\n      headers:\n        Authorization: Bearer "
                         "${BSM_TEST_MCP_HTTP_TOKEN}\n");
  write_file(dir.path() / "agents" / "caller.yaml",
             agent_yaml("caller", "tools: [remote__*]\n"));
  bsm::test::process proc{agent_node_argv(dir, config), dir.path()};
  ::unsetenv("BSM_TEST_MCP_HTTP_TOKEN");
  auto port = await_http_port(dir, proc);
  ASSERT_NE(port, 0) << proc.err();
  auto res = chat_until_a_step(port, "caller",
                               "call remote__echo {\"message\": \"e2e\"}");
  ASSERT_TRUE(res && res->status == 200) << describe(res) << proc.err();
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_EQ(doc["steps"][0]["tool"], "remote__echo");
  EXPECT_FALSE(doc["steps"][0]["is_error"].get<bool>()) << res->body;
  EXPECT_EQ(doc["steps"][0]["result"], "Echo: e2e") << res->body;
  // The tool ran through the SSE stream, in a session, with the header.
  bool called = false;
  for (const auto& r : remote.seen()) {
    EXPECT_EQ(r.authorization, "Bearer e2e-secret");
    called = called || r.method == "tools/call";
  }
  EXPECT_TRUE(called);
  auto agents = get(port, "/v1/agents");
  ASSERT_TRUE(agents) << proc.err();
  EXPECT_EQ(agents->body.find("e2e-secret"), std::string::npos);
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait(20s), 0) << proc.err();
  EXPECT_EQ(proc.err().find("e2e-secret"), std::string::npos);
  // The session ended with the node.
  (void)bsm::test::poll_until([&] {
    return !remote.seen().empty() && remote.seen().back().verb == "DELETE";
  });
  ASSERT_FALSE(remote.seen().empty());
  EXPECT_EQ(remote.seen().back().verb, "DELETE");
}

// A remote server that samples (allowed for it) gets the calling agent's
// model; its progress shows on the event bus with the agent's name.
TEST(AgentMcpTools, ARemoteServerSamplesTheAgentsModelAndReportsProgress) {
  temp_dir dir;
  bsm::test::fake_mcp_http_server remote;
  auto config = dir.path() / "node.yaml";
  write_file(config, "tools:\n  mcp_servers:\n    - name: remote\n"
                     "      url: "
                       + remote.url() + "\n      allow_sampling: true\n");
  write_file(dir.path() / "agents" / "caller.yaml",
             agent_yaml("caller", "tools: [remote__*]\n"));
  bsm::test::process proc{agent_node_argv(dir, config), dir.path()};
  auto port = await_http_port(dir, proc);
  ASSERT_NE(port, 0) << proc.err();
  auto res = chat_until_a_step(port, "caller",
                               "call remote__sample {\"text\": \"hello\"}");
  ASSERT_TRUE(res && res->status == 200) << describe(res) << proc.err();
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  auto sampled
    = json::parse(doc["steps"][0]["result"].get<std::string>(), nullptr, false);
  EXPECT_EQ(sampled["result"]["model"], "local") << res->body;
  EXPECT_EQ(sampled["result"]["content"]["text"].get<std::string>().rfind(
              local_marker, 0),
            0u)
    << res->body;
  bsm::test::http_connection events{port};
  ASSERT_TRUE(events.connected()) << events.error();
  ASSERT_TRUE(events.send(
    bsm::test::make_request("GET", "/v1/events?topic=mcp.%23", {})));
  auto head = events.read_head(5s);
  ASSERT_TRUE(head && head->status == 200) << events.error();
  ASSERT_TRUE(events.read_until(": subscribed", 5s)) << events.buffered();
  auto progressed = chat(
    port, "caller",
    {{"input", "call remote__progress {\"steps\": 2, \"interval_ms\": 50}"}});
  ASSERT_TRUE(progressed && progressed->status == 200) << describe(progressed);
  auto steps = body_of(*progressed)["steps"];
  ASSERT_EQ(steps.size(), 1u) << progressed->body;
  EXPECT_EQ(steps[0]["result"], "done after 2 steps") << progressed->body;
  ASSERT_TRUE(events.read_until("\"progress\":2", 10s)) << events.buffered();
  const auto& seen = events.buffered();
  EXPECT_NE(seen.find("mcp.progress"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"agent\":\"caller\""), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"tool\":\"progress\""), std::string::npos) << seen;
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait(20s), 0) << proc.err();
}

// -- definitions --------------------------------------------------------------

TEST(AgentDefinitions, ABadDefinitionStopsTheNodeWithFileLineAndKey) {
  temp_dir dir;
  write_file(dir.path() / "agents" / "bad.yaml",
             agent_yaml("bad", "limits:\n  max_steps: 0\n"));
  auto argv = bsm::test::node_argv(
    BSMD_PATH, source_dir + "/config/node.yaml", dir.path() / "data",
    {"agents.paths=[" + (dir.path() / "agents").string() + "]"});
  auto res = bsm::test::run(argv, dir.path());
  EXPECT_EQ(res.code, 2) << res.err;
  EXPECT_NE(res.err.find("bad.yaml:5"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("limits.max_steps"), std::string::npos) << res.err;
}

// Polls GET /v1/agents until `pred` holds for its names.
template <class Pred>
bool await_agents(uint16_t port, Pred pred) {
  return bsm::test::poll_until([&] {
    auto res = get(port, "/v1/agents");
    if (!res || res->status != 200)
      return false;
    std::set<std::string> names;
    auto doc = body_of(*res);
    for (const auto& x : doc["agents"])
      if (x["state"] == "running")
        names.insert(x["name"].get<std::string>());
    return pred(names);
  });
}

TEST(AgentDefinitions, SighupAddsChangesAndRemovesAgents) {
  temp_dir dir;
  auto agents = dir.path() / "agents";
  write_file(agents / "alpha.yaml", agent_yaml("alpha", ""));
  write_file(agents / "beta.yaml", agent_yaml("beta", ""));
  test_node node{dir.path(),
                 dir.path() / "data",
                 {"agents.paths=[" + agents.string() + "]"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  ASSERT_TRUE(
    await_agents(node.port(),
                 [](const auto& names) {
                   return names == std::set<std::string>{"alpha", "beta"};
                 }))
    << describe(get(node.port(), "/v1/agents"));
  write_file(agents / "gamma.yaml", agent_yaml("gamma", ""));
  write_file(agents / "alpha.yaml", "name: alpha\ndescription: Changed.\n");
  std::filesystem::remove(agents / "beta.yaml");
  node.proc().signal(SIGHUP);
  EXPECT_TRUE(
    await_agents(node.port(),
                 [](const auto& names) {
                   return names == std::set<std::string>{"alpha", "gamma"};
                 }))
    << describe(get(node.port(), "/v1/agents"));
  auto alpha = get(node.port(), "/v1/agents/alpha");
  ASSERT_TRUE(alpha && alpha->status == 200) << describe(alpha);
  EXPECT_EQ(body_of(*alpha)["description"], "Changed.");
  auto gamma = chat(node.port(), "gamma", {{"input", "hello"}});
  EXPECT_TRUE(gamma && gamma->status == 200) << describe(gamma);
  auto beta = chat(node.port(), "beta", {{"input", "hello"}});
  ASSERT_TRUE(beta);
  EXPECT_EQ(beta->status, 404) << beta->body;
  // A broken file: nothing changes, the node keeps running.
  write_file(agents / "broken.yaml", "name: [not, a, name]\n");
  node.proc().signal(SIGHUP);
  // The reload is over once it named the file it refused.
  ASSERT_TRUE(bsm::test::poll_until(
    [&] { return node.proc().err().find("broken.yaml") != std::string::npos; }))
    << node.proc().err();
  EXPECT_TRUE(await_agents(node.port(), [](const auto& names) {
    return names == std::set<std::string>{"alpha", "gamma"};
  }));
  EXPECT_EQ(node.stop(), 0);
}

} // namespace

// -- OpenAI-compatible requests on the local provider
// ---------------------------

namespace {

opt_response completion(uint16_t port, json fields) {
  json body{{"model", "legal"},
            {"messages", {{{"role", "user"}, {"content", "hello there"}}}}};
  body.update(fields);
  return post_json(port, "/v1/chat/completions", body.dump());
}

} // namespace

// tool_choice naming a client tool: the local provider calls it with the
// arguments the message can fill, or refuses with the param.
TEST_F(Agents, TheLocalProviderHonoursANamedToolChoice) {
  auto tool = [](json properties, json required) {
    return json{{"type", "function"},
                {"function",
                 {{"name", "extract"},
                  {"parameters",
                   {{"type", "object"},
                    {"properties", properties},
                    {"required", required}}}}}};
  };
  json choice{{"type", "function"}, {"function", {{"name", "extract"}}}};
  auto res = completion(
    port(), {{"tools", {tool({{"text", {{"type", "string"}}}}, {"text"})}},
             {"tool_choice", choice}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto first = body_of(*res)["choices"][0];
  EXPECT_EQ(first["finish_reason"], "tool_calls") << res->body;
  const auto& call = first["message"]["tool_calls"][0]["function"];
  EXPECT_EQ(call["name"], "extract");
  EXPECT_EQ(json::parse(call["arguments"].get<std::string>()),
            (json{{"text", "hello there"}}));
  auto refused = completion(
    port(), {{"tools", {tool({{"age", {{"type", "integer"}}}}, {"age"})}},
             {"tool_choice", choice}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_EQ(body_of(*refused)["error"]["param"], "tool_choice")
    << refused->body;
}

TEST_F(Agents, OpenAiFieldsOfTheWrongTypeOrRangeAre400WithTheParam) {
  for (auto [fields, param] : std::vector<std::pair<json, std::string>>{
         {{{"max_tokens", -5}}, "max_tokens"},
         {{{"temperature", "hot"}}, "temperature"},
         {{{"n", 2}}, "n"},
         {{{"messages", {{{"role", "wizard"}, {"content", "x"}}}}},
          "messages[0]"}}) {
    auto res = completion(port(), fields);
    ASSERT_TRUE(res) << fields;
    EXPECT_EQ(res->status, 400) << fields << " " << res->body;
    auto error = body_of(*res)["error"];
    EXPECT_EQ(error["type"], "invalid_request_error") << res->body;
    EXPECT_EQ(error["param"], param) << res->body;
  }
}

TEST_F(Agents, TheLocalProviderHonoursJsonObjectAndRefusesAJsonSchema) {
  auto object
    = completion(port(), {{"response_format", {{"type", "json_object"}}}});
  ASSERT_TRUE(object && object->status == 200) << describe(object);
  auto content = body_of(*object)["choices"][0]["message"]["content"];
  auto parsed = json::parse(content.get<std::string>(), nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << content;
  EXPECT_TRUE(parsed["content"].is_string()) << parsed;
  auto schema = completion(
    port(), {{"response_format",
              {{"type", "json_schema"},
               {"json_schema", {{"name", "x"}, {"schema", json::object()}}}}}});
  ASSERT_TRUE(schema) << "no answer";
  EXPECT_EQ(schema->status, 400) << schema->body;
  EXPECT_NE(schema->body.find("json_schema"), std::string::npos)
    << schema->body;
}

TEST_F(Agents, TheLocalProviderStreamsWordSizedDeltas) {
  auto res = completion(port(), {{"stream", true}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  std::vector<std::string> pieces;
  std::istringstream lines{res->body};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: {", 0) != 0)
      continue;
    auto x = json::parse(line.substr(6));
    if (!x["choices"].empty() && x["choices"][0]["delta"].contains("content")
        && !x["choices"][0]["delta"]["content"].get<std::string>().empty())
      pieces.push_back(x["choices"][0]["delta"]["content"]);
  }
  ASSERT_GT(pieces.size(), 5u) << res->body;
  // A word and the whitespace after it.
  for (const auto& piece : pieces) {
    auto space = piece.find_first_of(" \n\t");
    if (space != std::string::npos) {
      EXPECT_EQ(piece.find_first_not_of(" \n\t", space), std::string::npos)
        << piece;
    }
  }
  EXPECT_EQ(pieces.front().rfind("(local", 0), 0u) << pieces.front();
}
