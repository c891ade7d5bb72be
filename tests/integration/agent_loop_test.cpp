// The agent turn loop on a real bsmd whose agents use the openai provider
// against a scripted upstream in the test process (scripted_upstream.hpp):
// tool calls and their results, tool errors, the step limit, timeouts,
// retries after 429, streaming, session history (also across kill -9), and
// a turn replayed after a crash that answers a completed tool call from the
// tool ledger instead of running it again (docs/ARCHITECTURE.md, "Tool
// results"). Each test checks the HTTP answer and what the upstream saw.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/turn_plan.hpp"
#include "scripted_upstream.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"
#include "tests/integration/event_stream.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::chunk;
using bsm::test::completion;
using bsm::test::dechunk;
using bsm::test::describe;
using bsm::test::error_body;
using bsm::test::get;
using bsm::test::json_reply;
using bsm::test::opt_response;
using bsm::test::post_json;
using bsm::test::scripted_upstream;
using bsm::test::seen_request;
using bsm::test::sse_data;
using bsm::test::sse_reply;
using bsm::test::temp_dir;
using bsm::test::test_node;
using bsm::test::tool_call;
using bsm::test::tool_call_chunk;
using bsm::test::tool_calls_completion;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

// -- helpers ------------------------------------------------------------------

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::trunc};
  out << text;
}

std::string agent_yaml(const std::string& name, const std::string& extra) {
  return "name: " + name + "\ndescription: Test agent " + name
         + ".\nsystem_prompt: You are " + name + ".\n" + extra;
}

const std::string openai_model
  = "model: {provider: openai, name: test-model}\n";

// main, twin and slow talk to the upstream; helper (local provider) is the
// delegate whose turns are counted; narrow (upstream too) may use
// current_time and ask helper, nothing else.
void write_agents(const std::filesystem::path& dir) {
  const std::string tools
    = "tools: [current_time, memory_put, memory_get, ask_agent]\n"
      "delegates: [helper]\n";
  write_file(dir / "main.yaml",
             agent_yaml("main", openai_model + tools
                                  + "limits: {max_steps: 3, timeout: 10s}\n"));
  write_file(
    dir / "slow.yaml",
    agent_yaml("slow", openai_model + tools + "limits: {timeout: 300ms}\n"));
  write_file(dir / "twin.yaml",
             agent_yaml("twin", openai_model + tools
                                  + "limits: {max_steps: 3, timeout: 10s}\n"));
  write_file(dir / "helper.yaml", agent_yaml("helper", ""));
  write_file(dir / "narrow.yaml",
             agent_yaml("narrow", openai_model
                                    + "tools: [current_time, ask_agent]\n"
                                      "delegates: [helper]\n"));
}

// The names of the tools a request the upstream saw offered.
std::vector<std::string> offered_tools(const seen_request& req) {
  std::vector<std::string> result;
  for (const auto& x : req.body.value("tools", json::array()))
    result.push_back(x["function"]["name"].get<std::string>());
  return result;
}

opt_response chat(uint16_t port, const std::string& agent, const json& body) {
  return post_json(port, "/v1/agents/" + agent + "/chat", body.dump());
}

// Asks a named actor through message injection; the reply's payload, or
// null.
json ask_actor(uint16_t port, const std::string& actor, const std::string& type,
               const json& payload) {
  json req{{"type", type}, {"payload", payload}, {"mode", "ask"}};
  auto res = post_json(port, "/v1/actors/" + actor + "/messages", req.dump());
  if (!res || res->status != 200)
    return nullptr;
  return body_of(*res)["payload"];
}

// The value of one series in /metrics (e.g. `x_total{a="b"}`), if present.
std::optional<double> metric(uint16_t port, const std::string& series) {
  auto res = get(port, "/metrics");
  if (!res || res->status != 200)
    return std::nullopt;
  std::istringstream lines{res->body};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

// The idempotency key the agent gives a tool call.
std::string call_key(const std::string& agent, const std::string& turn_id,
                     uint32_t step, const std::string& name,
                     const std::string& arguments) {
  bsm::v1::ToolCall call;
  call.set_name(name);
  call.set_arguments_json(arguments);
  return bsm::agents::tool_call_key(agent, turn_id, step, call);
}

// The roles and contents of the messages of a request the upstream saw.
std::vector<std::pair<std::string, std::string>>
conversation(const seen_request& req) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& x : req.body["messages"])
    result.emplace_back(x["role"].get<std::string>(),
                        x["content"].is_string()
                          ? x["content"].get<std::string>()
                          : std::string{});
  return result;
}

// The calls a client assembles from the `tool_calls` deltas of an OpenAI
// stream's data, by index: {id, name, arguments}.
json streamed_tool_calls(const std::vector<std::string>& events) {
  json calls = json::array();
  for (const auto& data : events) {
    auto x = json::parse(data, nullptr, false);
    if (!x.is_object() || x["choices"].empty()
        || !x["choices"][0]["delta"].contains("tool_calls"))
      continue;
    for (const auto& entry : x["choices"][0]["delta"]["tool_calls"]) {
      auto i = entry["index"].get<size_t>();
      while (calls.size() <= i)
        calls.push_back({{"id", ""}, {"name", ""}, {"arguments", ""}});
      auto& call = calls[i];
      if (entry.contains("id"))
        call["id"] = entry["id"];
      if (entry["function"].contains("name"))
        call["name"] = entry["function"]["name"];
      call["arguments"] = call["arguments"].get<std::string>()
                          + entry["function"].value("arguments", "");
    }
  }
  return calls;
}

// The finish_reason of an OpenAI stream's data, if one came.
std::string finish_reason_of(const std::vector<std::string>& events) {
  for (const auto& data : events) {
    auto x = json::parse(data, nullptr, false);
    if (x.is_object() && !x["choices"].empty()
        && x["choices"][0]["finish_reason"].is_string())
      return x["choices"][0]["finish_reason"].get<std::string>();
  }
  return {};
}

// A streamed chat completion of main with `input` and one client tool,
// get_weather.
json weather_stream(const std::string& input) {
  json tool{{"type", "function"},
            {"function",
             {{"name", "get_weather"},
              {"parameters",
               {{"type", "object"},
                {"properties", {{"city", {{"type", "string"}}}}}}}}}};
  return {{"model", "main"},
          {"messages", {{{"role", "user"}, {"content", input}}}},
          {"tools", {tool}},
          {"stream", true}};
}

// -- the fixture --------------------------------------------------------------

class AgentLoop : public ::testing::Test {
protected:
  void SetUp() override {
    write_agents(dir_.path() / "agents");
  }

  void TearDown() override {
    if (node_ && node_->running())
      node_->stop();
  }

  // (Re)starts the node on the same data dir, its openai provider on the
  // upstream with short retry backoffs; `sets` are further overrides.
  void start(std::vector<std::string> sets = {}) {
    std::vector<std::string> all{
      "agents.paths=[" + (dir_.path() / "agents").string() + "]",
      "openai.base_url=" + up_.base_url(), "openai.api_key=test",
      "openai.retry_backoff_initial=10ms", "openai.retry_backoff_max=50ms"};
    all.insert(all.end(), sets.begin(), sets.end());
    node_.reset();
    node_ = std::make_unique<test_node>(dir_.path(), dir_.path() / "data", all);
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
  }

  uint16_t port() const {
    return node_->port();
  }

  // A turn of narrow whose model calls `tool` with `args` once, then
  // answers: the turn's one step, or null (a failure is recorded).
  json narrow_turn(const std::string& id, const std::string& tool,
                   const std::string& args) {
    up_.push(
      json_reply(200, tool_calls_completion({tool_call(id, tool, args)})));
    up_.push(json_reply(200, completion("Done.")));
    start();
    if (!node_ || node_->port() == 0)
      return nullptr;
    auto res = chat(port(), "narrow", {{"input", "go"}});
    if (!res || res->status != 200) {
      ADD_FAILURE() << describe(res);
      return nullptr;
    }
    auto doc = body_of(*res);
    EXPECT_EQ(doc["output"], "Done.");
    if (doc["steps"].size() != 1u) {
      ADD_FAILURE() << res->body;
      return nullptr;
    }
    EXPECT_EQ(doc["steps"][0]["tool"], tool);
    return doc["steps"][0];
  }

  // POSTs `body` to `target` and reads the head of its event stream: the
  // connection, its body still to read. Null after a failure (recorded).
  std::unique_ptr<bsm::test::http_connection>
  open_stream(const std::string& target, const json& body,
              bsm::test::header_list headers = {}) {
    std::string why;
    auto conn = bsm::test::open_event_stream(port(), target, body.dump(),
                                             std::move(headers), why);
    if (!conn)
      ADD_FAILURE() << why;
    return conn;
  }

  // narrow's bsm_agent_capability_denied_total of `kind`, if counted.
  std::optional<double> denials(const std::string& kind) const {
    return metric(port(), R"(bsm_agent_capability_denied_total{agent="narrow",)"
                          R"(kind=")"
                            + kind + R"("})");
  }

  // True once the node's log has `text`.
  bool logged(const std::string& text) {
    return bsm::test::poll_until(
      [&] { return node_->proc().err().find(text) != std::string::npos; });
  }

  temp_dir dir_;
  scripted_upstream up_;
  // Declared after the upstream: the node goes first.
  std::unique_ptr<test_node> node_;
};

} // namespace

// -- tools --------------------------------------------------------------------

TEST_F(AgentLoop, AToolCallRunsAndItsResultGoesBackToTheModel) {
  const std::string args = R"({"key":"owner","value":"alice"})";
  up_.push(json_reply(
    200, tool_calls_completion({tool_call("call_1", "memory_put", args)})));
  up_.push(json_reply(200, completion("Stored: owner is alice.")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto res = chat(port(), "main", {{"input", "remember owner is alice"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc["output"], "Stored: owner is alice.");
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  const auto& step = doc["steps"][0];
  EXPECT_EQ(step["tool"], "memory_put");
  EXPECT_EQ(step["arguments"], json::parse(args));
  EXPECT_FALSE(step["is_error"].get<bool>());
  EXPECT_EQ(json::parse(step["result"].get<std::string>()),
            (json{{"stored", "owner"}}));
  // The tool's effect.
  auto stored = ask_actor(port(), "memory", "bsm.v1.MemoryGetRequest",
                          {{"agent", "main"}, {"key", "owner"}});
  // bytes are base64 in protobuf's JSON mapping: "alice".
  EXPECT_EQ(stored.value("value", ""), "YWxpY2U=") << stored;
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& x : seen) {
    EXPECT_EQ(x.target, "/v1/chat/completions");
    EXPECT_EQ(x.authorization, "Bearer test");
    EXPECT_EQ(x.body["model"], "test-model");
  }
  std::vector<std::string> offered;
  for (const auto& x : seen[0].body["tools"])
    offered.push_back(x["function"]["name"].get<std::string>());
  EXPECT_NE(std::find(offered.begin(), offered.end(), "memory_put"),
            offered.end())
    << seen[0].body["tools"];
  // The second request: the conversation, the assistant's call, the result.
  const auto& messages = seen[1].body["messages"];
  ASSERT_EQ(messages.size(), 4u) << messages;
  EXPECT_EQ(messages[0]["role"], "system");
  EXPECT_EQ(messages[1]["content"], "remember owner is alice");
  const auto& call = messages[2];
  EXPECT_EQ(call["role"], "assistant");
  ASSERT_EQ(call["tool_calls"].size(), 1u) << call;
  EXPECT_EQ(call["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(call["tool_calls"][0]["function"]["name"], "memory_put");
  EXPECT_EQ(
    json::parse(
      call["tool_calls"][0]["function"]["arguments"].get<std::string>()),
    json::parse(args));
  const auto& result = messages[3];
  EXPECT_EQ(result["role"], "tool");
  EXPECT_EQ(result["tool_call_id"], "call_1");
  EXPECT_EQ(result["content"], step["result"]);
  // The session's history has the answer's tool call and usage.
  auto history = get(port(), "/v1/agents/main/sessions/"
                               + doc["session_id"].get<std::string>());
  ASSERT_TRUE(history && history->status == 200) << describe(history);
  auto turns = body_of(*history)["turns"];
  ASSERT_EQ(turns.size(), 2u) << history->body;
  EXPECT_EQ(turns[0]["tool_calls"], json::array());
  EXPECT_TRUE(turns[0]["usage"].is_null());
  ASSERT_EQ(turns[1]["tool_calls"].size(), 1u) << history->body;
  EXPECT_EQ(turns[1]["tool_calls"][0], step);
  EXPECT_EQ(turns[1]["usage"], doc["usage"]);
}

TEST_F(AgentLoop, AFailingToolIsAToolMessageAndTheTurnStillAnswers) {
  up_.push(json_reply(
    200, tool_calls_completion({tool_call("call_a", "memory_get", "{}"),
                                tool_call("call_b", "shell", R"({"c":1})")})));
  up_.push(json_reply(200, completion("I could not do that.")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto res = chat(port(), "main", {{"input", "look something up"}});
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc["output"], "I could not do that.");
  ASSERT_EQ(doc["steps"].size(), 2u) << res->body;
  EXPECT_TRUE(doc["steps"][0]["is_error"].get<bool>());
  EXPECT_NE(doc["steps"][0]["result"].get<std::string>().find("key"),
            std::string::npos)
    << res->body;
  EXPECT_TRUE(doc["steps"][1]["is_error"].get<bool>());
  EXPECT_NE(doc["steps"][1]["result"].get<std::string>().find("not available"),
            std::string::npos)
    << res->body;
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 2u);
  const auto& messages = seen[1].body["messages"];
  ASSERT_EQ(messages.size(), 5u) << messages;
  EXPECT_EQ(messages[3]["role"], "tool");
  EXPECT_EQ(messages[3]["tool_call_id"], "call_a");
  EXPECT_EQ(messages[3]["content"], doc["steps"][0]["result"]);
  EXPECT_EQ(messages[4]["role"], "tool");
  EXPECT_EQ(messages[4]["tool_call_id"], "call_b");
  EXPECT_EQ(messages[4]["content"], doc["steps"][1]["result"]);
  EXPECT_EQ(
    metric(port(),
           R"(bsm_agent_tool_calls_total{agent="main",outcome="error"})"),
    2.0);
}

// -- limits -------------------------------------------------------------------

TEST_F(AgentLoop, TheStepLimitEndsATurnOfEndlessToolCalls) {
  up_.repeat(json_reply(
    200, tool_calls_completion({tool_call("call_t", "current_time", "{}")})));
  ASSERT_NO_FATAL_FAILURE(start());
  auto res = chat(port(), "main", {{"input", "what time is it?"}});
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, 400) << res->body;
  auto doc = body_of(*res);
  // failed_precondition is HTTP 400 with API.md's code invalid_argument.
  EXPECT_EQ(doc["error"]["code"], "invalid_argument") << res->body;
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("step limit (3"),
            std::string::npos)
    << res->body;
  EXPECT_EQ(up_.requests(), 3u);
}

// The upstream holds its answer past the end of these tests: only a
// timeout can end the turn.
TEST_F(AgentLoop, AnUpstreamSlowerThanTheTurnTimeoutIs504) {
  up_.push_held(json_reply(200, completion("too late")));
  // The provider would wait an hour and the bridge five minutes: an answer
  // before chat() gives up (10 s) means slow's 300ms turn timeout ended it.
  ASSERT_NO_FATAL_FAILURE(start({"openai.timeout=1h"}));
  auto res = chat(port(), "slow", {{"input", "take your time"}});
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, 504) << res->body;
  EXPECT_EQ(body_of(*res)["error"]["code"], "deadline_exceeded") << res->body;
  EXPECT_EQ(up_.requests(), 1u);
}

TEST_F(AgentLoop, AnUpstreamSlowerThanTheOpenAiTimeoutIsAnError) {
  up_.push_held(json_reply(200, completion("too late")));
  ASSERT_NO_FATAL_FAILURE(start({"openai.timeout=300ms"}));
  // main's own turn timeout is 10s: the provider's call timeout ends it.
  auto res = chat(port(), "main", {{"input", "take your time"}});
  ASSERT_TRUE(res) << "no response";
  EXPECT_EQ(res->status, 504) << res->body;
  auto error = body_of(*res)["error"];
  EXPECT_EQ(error["code"], "deadline_exceeded") << res->body;
  auto message = error["message"].get<std::string>();
  EXPECT_NE(message.find(up_.base_url()), std::string::npos) << res->body;
  EXPECT_EQ(message.find("the turn did not finish"), std::string::npos)
    << res->body;
  EXPECT_EQ(up_.requests(), 1u);
}

TEST_F(AgentLoop, A429WithRetryAfterIsRetriedAndTheChatSucceeds) {
  up_.push(json_reply(429, error_body("Rate limit reached", "requests"),
                      {{"Retry-After", "1"}}));
  up_.push(json_reply(200, completion("after the wait")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto started = steady::now();
  auto res = chat(port(), "main", {{"input", "hello"}});
  auto elapsed = steady::now() - started;
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(body_of(*res)["output"], "after the wait");
  EXPECT_EQ(up_.requests(), 2u);
  // The backoff alone would be 10ms: the upstream's second was honoured.
  EXPECT_GE(elapsed, 950ms);
  EXPECT_EQ(metric(port(), R"(bsm_model_retries_total{provider="openai"})"),
            1.0);
}

// -- streaming ----------------------------------------------------------------

TEST_F(AgentLoop, AStreamedChatCarriesTheUpstreamDeltasInOrder) {
  up_.push(sse_reply(
    {chunk({{"role", "assistant"}, {"content", ""}}),
     chunk({{"content", "one "}}), chunk({{"content", "two "}}),
     chunk({{"content", "three"}}), chunk(json::object(), "stop"), "[DONE]"}));
  ASSERT_NO_FATAL_FAILURE(start());
  json body{{"model", "main"},
            {"messages", {{{"role", "user"}, {"content", "count to three"}}}},
            {"stream", true}};
  auto stream = open_stream("/v1/chat/completions", body);
  ASSERT_TRUE(stream);
  auto& conn = *stream;
  ASSERT_TRUE(conn.read_until("0\r\n\r\n", 10s)) << conn.buffered();
  auto events = sse_data(dechunk(conn.buffered()));
  ASSERT_FALSE(events.empty()) << conn.buffered();
  EXPECT_EQ(events.back(), "[DONE]");
  std::string deltas;
  std::vector<std::string> pieces;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    auto x = json::parse(events[i], nullptr, false);
    ASSERT_FALSE(x.is_discarded()) << events[i];
    EXPECT_EQ(x["object"], "chat.completion.chunk") << x;
    EXPECT_EQ(x["model"], "main") << x;
    const auto& delta = x["choices"][0]["delta"];
    if (delta.contains("content") && delta["content"].is_string()
        && !delta["content"].get<std::string>().empty())
      pieces.push_back(delta["content"].get<std::string>());
  }
  EXPECT_EQ(pieces, (std::vector<std::string>{"one ", "two ", "three"}));
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body["stream"], true);
  EXPECT_EQ(seen[0].accept, "text/event-stream");
  EXPECT_EQ(conversation(seen[0]).back(),
            (std::pair<std::string, std::string>{"user", "count to three"}));
}

// The first delta reaches the client while the upstream still holds the
// rest: the answer streams as it is produced, not when it is complete.
TEST_F(AgentLoop, AStreamedChatRelaysADeltaBeforeTheUpstreamSendsTheNext) {
  up_.push_trickled(
    {chunk({{"role", "assistant"}, {"content", ""}}),
     chunk({{"content", "first "}})},
    {chunk({{"content", "second"}}), chunk(json::object(), "stop"), "[DONE]"});
  ASSERT_NO_FATAL_FAILURE(start());
  json body{{"model", "main"},
            {"messages", {{{"role", "user"}, {"content", "go"}}}},
            {"stream", true}};
  auto stream = open_stream("/v1/chat/completions", body);
  ASSERT_TRUE(stream);
  auto& conn = *stream;
  ASSERT_TRUE(conn.read_until("first ", 30s)) << conn.buffered();
  EXPECT_EQ(conn.buffered().find("second"), std::string::npos);
  up_.release();
  ASSERT_TRUE(conn.read_until("0\r\n\r\n", 30s)) << conn.buffered();
  std::string text;
  for (const auto& data : sse_data(dechunk(conn.buffered()))) {
    auto x = json::parse(data, nullptr, false);
    if (x.is_object() && !x["choices"].empty()
        && x["choices"][0]["delta"].contains("content"))
      text += x["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, "first second");
}

// A call of a client tool reaches the client as tool_calls deltas while
// the upstream still holds the rest of its arguments; the client puts the
// pieces together to the upstream's arguments, and the end of the stream
// does not repeat them.
TEST_F(AgentLoop,
       AStreamedClientToolCallIsRelayedBeforeTheUpstreamSendsTheRest) {
  up_.push_trickled({chunk({{"role", "assistant"}, {"content", nullptr}}),
                     tool_call_chunk(0, "call_w", "get_weather", ""),
                     tool_call_chunk(0, "", "", R"({"ci)")},
                    {tool_call_chunk(0, "", "", R"(ty":"Os)"),
                     tool_call_chunk(0, "", "", R"(lo"})"),
                     chunk(json::object(), "tool_calls"), "[DONE]"});
  ASSERT_NO_FATAL_FAILURE(start());
  auto stream
    = open_stream("/v1/chat/completions", weather_stream("weather in Oslo?"));
  ASSERT_TRUE(stream);
  auto& conn = *stream;
  ASSERT_TRUE(conn.read_until("get_weather", 30s)) << conn.buffered();
  EXPECT_EQ(conn.buffered().find("Os"), std::string::npos) << conn.buffered();
  up_.release();
  ASSERT_TRUE(conn.read_until("0\r\n\r\n", 30s)) << conn.buffered();
  auto events = sse_data(dechunk(conn.buffered()));
  EXPECT_EQ(streamed_tool_calls(events),
            (json{{{"id", "call_w"},
                   {"name", "get_weather"},
                   {"arguments", R"({"city":"Oslo"})"}}}))
    << conn.buffered();
  EXPECT_EQ(finish_reason_of(events), "tool_calls") << conn.buffered();
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 1u);
  auto offered = offered_tools(seen[0]);
  EXPECT_NE(std::find(offered.begin(), offered.end(), "get_weather"),
            offered.end());
}

// A call of the agent's own tool, streamed the same way, is the agent's
// business: the client sees no tool_calls, only the answer after it.
TEST_F(AgentLoop, AStreamedCallOfAnAgentsOwnToolIsNotShownAsToolCalls) {
  up_.push(
    sse_reply({chunk({{"role", "assistant"}, {"content", nullptr}}),
               tool_call_chunk(0, "call_m", "memory_put", R"({"key":"owner",)"),
               tool_call_chunk(0, "", "", R"("value":"bob"})"),
               chunk(json::object(), "tool_calls"), "[DONE]"}));
  up_.push(sse_reply({chunk({{"content", "Stored."}}),
                      chunk(json::object(), "stop"), "[DONE]"}));
  ASSERT_NO_FATAL_FAILURE(start());
  auto stream
    = open_stream("/v1/chat/completions", weather_stream("remember owner"));
  ASSERT_TRUE(stream);
  auto& conn = *stream;
  ASSERT_TRUE(conn.read_until("0\r\n\r\n", 30s)) << conn.buffered();
  auto events = sse_data(dechunk(conn.buffered()));
  EXPECT_EQ(streamed_tool_calls(events), json::array()) << conn.buffered();
  EXPECT_EQ(conn.buffered().find("memory_put"), std::string::npos)
    << conn.buffered();
  EXPECT_NE(conn.buffered().find("Stored."), std::string::npos)
    << conn.buffered();
  EXPECT_EQ(finish_reason_of(events), "stop") << conn.buffered();
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(conversation(seen[1]).back().first, "tool");
}

// POST /v1/agents/{name}/chat with Accept: text/event-stream: the tool call
// as it starts and ends, the answer's deltas, then the whole answer.
TEST_F(AgentLoop, AnAgentChatStreamsItsStepsAndDeltas) {
  const std::string args = R"({"key":"owner","value":"bob"})";
  up_.push(json_reply(
    200, tool_calls_completion({tool_call("call_1", "memory_put", args)})));
  up_.push(
    sse_reply({chunk({{"role", "assistant"}, {"content", ""}}),
               chunk({{"content", "Stored "}}), chunk({{"content", "it."}}),
               chunk(json::object(), "stop"), "[DONE]"}));
  ASSERT_NO_FATAL_FAILURE(start());
  auto stream
    = open_stream("/v1/agents/main/chat", {{"input", "remember owner is bob"}},
                  {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(stream);
  auto& conn = *stream;
  ASSERT_TRUE(conn.read_until("0\r\n\r\n", 30s)) << conn.buffered();
  std::vector<std::string> names;
  std::vector<json> data;
  std::istringstream lines{dechunk(conn.buffered())};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("event: ", 0) == 0)
      names.push_back(line.substr(7));
    else if (line.rfind("data: ", 0) == 0)
      data.push_back(json::parse(line.substr(6)));
  }
  ASSERT_EQ(names, (std::vector<std::string>{"tool_call", "tool_result",
                                             "delta", "delta", "done"}))
    << conn.buffered();
  EXPECT_EQ(data[0]["tool"], "memory_put");
  EXPECT_EQ(data[0]["arguments"], json::parse(args));
  EXPECT_FALSE(data[1]["is_error"].get<bool>());
  EXPECT_EQ(data[2]["content"], "Stored ");
  EXPECT_EQ(data[4]["output"], "Stored it.");
  EXPECT_EQ(data[4]["steps"].size(), 1u);
  EXPECT_FALSE(data[4]["session_id"].get<std::string>().empty());
}

TEST_F(AgentLoop, AStreamedAgentChatRefusesAnIdempotencyKey) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto res
    = post_json(port(), "/v1/agents/main/chat", json{{"input", "hi"}}.dump(),
                {{"Accept", "text/event-stream"}, {"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_EQ(up_.requests(), 0u);
}

TEST_F(AgentLoop, TheClientsGenerationSettingsReachTheUpstream) {
  up_.push(json_reply(200, completion("{\"ok\":true}")));
  ASSERT_NO_FATAL_FAILURE(start());
  json schema{{"name", "verdict"}, {"schema", {{"type", "object"}}}};
  json body{
    {"model", "main"},
    {"messages", {{{"role", "user"}, {"content", "judge"}}}},
    {"temperature", 0.25},
    {"max_completion_tokens", 64},
    {"stop", {"END"}},
    {"seed", 3},
    {"response_format", {{"type", "json_schema"}, {"json_schema", schema}}}};
  auto res = post_json(port(), "/v1/chat/completions", body.dump());
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body["temperature"], 0.25);
  EXPECT_EQ(seen[0].body["max_tokens"], 64);
  EXPECT_EQ(seen[0].body["stop"], json::array({"END"}));
  EXPECT_EQ(seen[0].body["seed"], 3);
  EXPECT_EQ(seen[0].body["response_format"]["type"], "json_schema");
  EXPECT_EQ(seen[0].body["response_format"]["json_schema"], schema);
}

// tool_choice and parallel_tool_calls reach the upstream as sent, on the
// turn's first model call.
TEST_F(AgentLoop, ToolChoiceReachesTheUpstream) {
  json parameters{{"type", "object"},
                  {"properties", {{"text", {{"type", "string"}}}}}};
  json tool{{"type", "function"},
            {"function", {{"name", "extract"}, {"parameters", parameters}}}};
  json choice{{"type", "function"}, {"function", {{"name", "extract"}}}};
  up_.push(json_reply(200, tool_calls_completion({tool_call(
                             "call_1", "extract", R"({"text":"x"})")})));
  ASSERT_NO_FATAL_FAILURE(start());
  json body{{"model", "main"},
            {"messages", {{{"role", "user"}, {"content", "extract it"}}}},
            {"tools", {tool}},
            {"tool_choice", choice},
            {"parallel_tool_calls", false}};
  auto res = post_json(port(), "/v1/chat/completions", body.dump());
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(body_of(*res)["choices"][0]["finish_reason"], "tool_calls");
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body["tool_choice"], choice);
  EXPECT_EQ(seen[0].body["parallel_tool_calls"], false);
}

// -- sessions -----------------------------------------------------------------

TEST_F(AgentLoop, ASessionsHistoryReachesTheModel) {
  up_.push(json_reply(200, completion("Hello Ada.")));
  up_.push(json_reply(200, completion("You are Ada.")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto first
    = chat(port(), "main", {{"input", "I am Ada"}, {"session_id", "conv-1"}});
  ASSERT_TRUE(first && first->status == 200) << describe(first);
  auto second
    = chat(port(), "main", {{"input", "Who am I?"}, {"session_id", "conv-1"}});
  ASSERT_TRUE(second && second->status == 200) << describe(second);
  EXPECT_EQ(body_of(*second)["output"], "You are Ada.");
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 2u);
  using turn = std::pair<std::string, std::string>;
  EXPECT_EQ(conversation(seen[1]),
            (std::vector<turn>{{"system", "You are main."},
                               {"user", "I am Ada"},
                               {"assistant", "Hello Ada."},
                               {"user", "Who am I?"}}));
}

TEST_F(AgentLoop, ASessionsHistoryReachesTheModelAfterKill9) {
  up_.push(json_reply(200, completion("Noted: the case is 42.")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto first = chat(port(), "main",
                    {{"input", "The case is 42"}, {"session_id", "case-42"}});
  ASSERT_TRUE(first && first->status == 200) << describe(first);
  node_->kill();
  up_.push(json_reply(200, completion("It is 42.")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto second = chat(port(), "main",
                     {{"input", "Which case?"}, {"session_id", "case-42"}});
  ASSERT_TRUE(second && second->status == 200) << describe(second);
  EXPECT_EQ(body_of(*second)["output"], "It is 42.");
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 2u);
  using turn = std::pair<std::string, std::string>;
  EXPECT_EQ(conversation(seen[1]),
            (std::vector<turn>{{"system", "You are main."},
                               {"user", "The case is 42"},
                               {"assistant", "Noted: the case is 42."},
                               {"user", "Which case?"}}));
}

// -- replay after a crash -----------------------------------------------------

TEST_F(AgentLoop, AReplayedTurnDoesNotRepeatACompletedToolCall) {
  const std::string session = "replay-1";
  const std::string args = R"({"agent":"helper","input":"What is BSM?"})";
  const json ask = {{"input", "Ask the helper."}, {"session_id", session}};
  // An earlier turn, so the next one is "replay-1#3" (positions 1 and 2).
  up_.push(json_reply(200, completion("First answer.")));
  // The turn: a delegation, then the model hangs until the node dies.
  up_.push(json_reply(
    200, tool_calls_completion({tool_call("call_h", "ask_agent", args)})));
  up_.push_delayed(60s, json_reply(200, completion("never sent")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto first
    = chat(port(), "main", {{"input", "Hello."}, {"session_id", session}});
  ASSERT_TRUE(first && first->status == 200) << describe(first);
  bsm::test::http_connection conn{port()};
  ASSERT_TRUE(conn.connected()) << conn.error();
  ASSERT_TRUE(conn.send(bsm::test::make_request(
    "POST", "/v1/agents/main/chat", {{"Content-Type", "application/json"}},
    ask.dump())));
  ASSERT_TRUE(up_.await_requests(3, bsm::test::generous_deadline))
    << up_.requests();
  // The ledger record is written while the model is asked again: wait for
  // it, so the crash comes after the call completed and was recorded.
  auto key = call_key("main", session + "#3", 1, "ask_agent", args);
  json recorded;
  (void)bsm::test::poll_until([&] {
    recorded = ask_actor(port(), "tool_ledger", "bsm.v1.ToolLedgerGetRequest",
                         {{"key", key}});
    return recorded.is_object() && recorded.value("found", false);
  });
  ASSERT_TRUE(recorded.value("found", false)) << key << ": " << recorded;
  const auto helper_answer = recorded["result"].value("content", "");
  EXPECT_FALSE(helper_answer.empty()) << recorded;
  EXPECT_EQ(
    metric(port(), R"(bsm_agent_turns_total{agent="helper",outcome="ok"})"),
    1.0);
  node_->kill();
  // The same turn again: the model asks for the same call, then answers.
  up_.push(json_reply(
    200, tool_calls_completion({tool_call("call_h", "ask_agent", args)})));
  up_.push(json_reply(200, completion("The helper says hi.")));
  ASSERT_NO_FATAL_FAILURE(start());
  auto res = chat(port(), "main", ask);
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  EXPECT_EQ(doc["output"], "The helper says hi.");
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  EXPECT_EQ(doc["steps"][0]["tool"], "ask_agent");
  EXPECT_FALSE(doc["steps"][0]["is_error"].get<bool>());
  EXPECT_EQ(doc["steps"][0]["result"], helper_answer);
  EXPECT_EQ(
    metric(port(),
           R"(bsm_agent_tool_calls_total{agent="main",outcome="replayed"})"),
    1.0);
  // The helper ran no turn in this process: the delegation was not repeated.
  EXPECT_EQ(
    metric(port(), R"(bsm_agent_turns_total{agent="helper",outcome="ok"})")
      .value_or(0),
    0.0);
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 5u);
  const auto& messages = seen[4].body["messages"];
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back()["role"], "tool");
  EXPECT_EQ(messages.back()["tool_call_id"], "call_h");
  EXPECT_EQ(messages.back()["content"], helper_answer);
  // The replayed turn is in the session once, after the earlier one.
  auto turns = ask_actor(port(), "memory", "bsm.v1.SessionReadRequest",
                         {{"agent", "main"}, {"session_id", session}});
  ASSERT_EQ(turns.value("turns", json::array()).size(), 4u) << turns;
  EXPECT_EQ(turns["turns"][2]["content"], "Ask the helper.");
  EXPECT_EQ(turns["turns"][3]["content"], "The helper says hi.");
}

// -- capabilities -------------------------------------------------------------

TEST_F(AgentLoop, TwoAgentsWithOneSessionIdEachRunTheirOwnToolCall) {
  // The same turn number of the same session id, the same call: the tool
  // ledger must not hand main's recorded result to twin.
  const std::string args = R"({"key":"colour","value":"blue"})";
  for (int i = 0; i < 2; ++i) {
    up_.push(json_reply(
      200, tool_calls_completion({tool_call("call_1", "memory_put", args)})));
    up_.push(json_reply(200, completion("Stored.")));
  }
  ASSERT_NO_FATAL_FAILURE(start());
  const json ask = {{"input", "remember colour is blue"}, {"session_id", "s1"}};
  for (const auto* agent : {"main", "twin"}) {
    auto res = chat(port(), agent, ask);
    ASSERT_TRUE(res && res->status == 200) << agent << ": " << describe(res);
    auto stored = ask_actor(port(), "memory", "bsm.v1.MemoryGetRequest",
                            {{"agent", agent}, {"key", "colour"}});
    // "blue" in base64 (protobuf's JSON mapping of bytes).
    EXPECT_EQ(stored.value("value", ""), "Ymx1ZQ==") << agent << ": " << stored;
  }
  EXPECT_EQ(
    metric(port(),
           R"(bsm_agent_tool_calls_total{agent="twin",outcome="replayed"})")
      .value_or(0),
    0.0);
  EXPECT_EQ(up_.seen().size(), 4u);
}

TEST_F(AgentLoop, AToolTheAgentMayNotUseIsNotOfferedAndIsRefused) {
  auto step = narrow_turn("call_m", "memory_put",
                          R"({"key":"owner","value":"mallory"})");
  ASSERT_TRUE(step.is_object());
  EXPECT_TRUE(step["is_error"].get<bool>());
  EXPECT_EQ(step["result"], "tool 'memory_put' is not available to this agent");
  auto seen = up_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(offered_tools(seen[0]),
            (std::vector<std::string>{"ask_agent", "current_time"}));
  // The model saw the refusal as the call's result.
  const auto& messages = seen[1].body["messages"];
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back()["role"], "tool");
  EXPECT_EQ(messages.back()["tool_call_id"], "call_m");
  EXPECT_EQ(messages.back()["content"], step["result"]);
  // Nothing was stored.
  auto stored = ask_actor(port(), "memory", "bsm.v1.MemoryGetRequest",
                          {{"agent", "narrow"}, {"key", "owner"}});
  EXPECT_FALSE(stored.value("found", false)) << stored;
  EXPECT_EQ(denials("tool"), 1.0);
  EXPECT_TRUE(logged("agent narrow: tool denied: tool 'memory_put'"))
    << node_->proc().err();
}

TEST_F(AgentLoop, ADelegationOutsideTheAgentsDelegatesIsRefused) {
  auto step = narrow_turn("call_d", "ask_agent",
                          R"({"agent":"main","input":"What is BSM?"})");
  ASSERT_TRUE(step.is_object());
  EXPECT_TRUE(step["is_error"].get<bool>());
  EXPECT_EQ(step["result"], "agent 'narrow' may not ask agent 'main' (not "
                            "among its delegates)");
  // main ran no turn: the upstream saw narrow's two requests only.
  EXPECT_EQ(up_.requests(), 2u);
  EXPECT_EQ(
    metric(port(), R"(bsm_agent_turns_total{agent="main",outcome="ok"})")
      .value_or(0),
    0.0);
  EXPECT_EQ(denials("delegation"), 1.0);
  EXPECT_TRUE(logged("agent narrow: delegation denied: agent 'narrow' may "
                     "not ask agent 'main'"))
    << node_->proc().err();
}

TEST_F(AgentLoop, ADelegationToADelegateRuns) {
  auto step = narrow_turn("call_h", "ask_agent",
                          R"({"agent":"helper","input":"What is BSM?"})");
  ASSERT_TRUE(step.is_object());
  EXPECT_FALSE(step["is_error"].get<bool>()) << step;
  EXPECT_EQ(
    metric(port(), R"(bsm_agent_turns_total{agent="helper",outcome="ok"})"),
    1.0);
  EXPECT_FALSE(denials("delegation").has_value());
}
