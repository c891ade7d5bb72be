// MCP elicitation with the policy `ask` (agents/questions/question_book.hpp):
// a real bsmd whose agent calls a tool of a fake Streamable HTTP server
// (fake_mcp_http_server.hpp) that asks the user something mid-call. The
// question shows in the streamed chat and in GET .../questions, is answered
// (or refused, or left to its deadline) through the API, and the answer
// reaches the server and the session's history.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "event_stream.hpp"
#include "fake_mcp_http_server.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"

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

const json name_form = json::parse(
  R"({"type":"object","properties":{"name":{"type":"string"},
      "age":{"type":"integer"}},"required":["name"]})");

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::trunc};
  out << text;
}

// The stream's events so far: its body after the head, unchunked.
std::string events_of(const bsm::test::http_connection& stream) {
  const auto& raw = stream.buffered();
  auto body = raw.find("\r\n\r\n");
  return body == std::string::npos ? std::string{}
                                   : bsm::test::dechunk(raw.substr(body + 4));
}

// The data of the `nth` event `name` (0 the first) in `events`; null if
// there is none (yet).
json event_data(const std::string& events, const std::string& name,
                size_t nth = 0) {
  auto marker = "event: " + name + "\ndata: ";
  auto at = events.find(marker);
  for (; at != std::string::npos && nth > 0; --nth)
    at = events.find(marker, at + 1);
  if (at == std::string::npos)
    return nullptr;
  auto start = at + marker.size();
  auto end = events.find('\n', start);
  if (end == std::string::npos)
    return nullptr;
  return json::parse(events.substr(start, end - start), nullptr, false);
}

std::string elicit_input(const std::string& server) {
  return "call " + server + "__elicit " + json{{"schema", name_form}}.dump();
}

class McpQuestions : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    asker_ = new bsm::test::fake_mcp_http_server;
    hasty_ = new bsm::test::fake_mcp_http_server;
    auto config = dir_->path() / "node.yaml";
    write_file(config, "tools:\n  mcp_servers:\n"
                       "    - name: asker\n      url: "
                         + asker_->url()
                         + "\n      elicitation: ask\n"
                           "    - name: hasty\n      url: "
                         + hasty_->url()
                         + "\n      elicitation: ask\n"
                           "      ask_timeout: 300ms\n");
    write_file(dir_->path() / "agents" / "caller.yaml",
               "name: caller\ndescription: Calls the servers.\n"
               "system_prompt: You call tools.\ntools: [asker__*, hasty__*]\n");
    node_ = new test_node{
      dir_->path(),
      dir_->path() / "data",
      {"agents.paths=[" + (dir_->path() / "agents").string() + "]"},
      BSMD_PATH,
      config.string()};
  }

  static void TearDownTestSuite() {
    if (node_ != nullptr)
      node_->stop();
    delete node_;
    delete hasty_;
    delete asker_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_NE(port(), 0) << node_->proc().err();
    // Both servers' tools are listed once the servers started.
    opt_response res;
    ASSERT_TRUE(bsm::test::poll_until(
      [&] {
        res = chat("call hasty__echo {\"message\": \"up\"}");
        return res && res->status == 200 && body_of(*res)["steps"].size() == 1;
      },
      bsm::test::generous_deadline, 100ms))
      << describe(res);
  }

  static uint16_t port() {
    return node_->port();
  }

  static opt_response chat(const std::string& input) {
    return post_json(port(), "/v1/agents/caller/chat",
                     json{{"input", input}}.dump());
  }

  static opt_response answer(const std::string& id, const json& body) {
    return post_json(port(), "/v1/agents/caller/questions/" + id, body.dump());
  }

  /// Starts a streamed chat that calls asker__elicit; the stream is read
  /// until its question, whose JSON is returned (null if none came).
  static json open_question(bsm::test::http_connection& stream) {
    auto body = json{{"input", elicit_input("asker")}}.dump();
    EXPECT_TRUE(stream.send(bsm::test::make_request(
      "POST", "/v1/agents/caller/chat",
      {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}},
      body)));
    if (!stream.read_until("event: question\ndata: ", 30s)
        || !stream.read_until("\n\n", 10s))
      return nullptr;
    return event_data(events_of(stream), "question");
  }

  static inline temp_dir* dir_ = nullptr;
  static inline bsm::test::fake_mcp_http_server* asker_ = nullptr;
  static inline bsm::test::fake_mcp_http_server* hasty_ = nullptr;
  static inline test_node* node_ = nullptr;
};

} // namespace

TEST_F(McpQuestions, TheCallerAnswersAQuestionOfTheServerThroughTheApi) {
  bsm::test::http_connection stream{port()};
  ASSERT_TRUE(stream.connected()) << stream.error();
  auto q = open_question(stream);
  ASSERT_TRUE(q.is_object()) << stream.buffered();
  EXPECT_EQ(q["state"], "pending");
  EXPECT_EQ(q["server"], "asker");
  EXPECT_EQ(q["tool"], "elicit");
  EXPECT_EQ(q["schema"], name_form);
  auto id = q["id"].get<std::string>();
  // Listed while it waits, for its session too.
  auto listed = get(port(), "/v1/agents/caller/questions?session_id="
                              + q["session_id"].get<std::string>());
  ASSERT_TRUE(listed && listed->status == 200) << describe(listed);
  ASSERT_EQ(body_of(*listed)["questions"].size(), 1u) << listed->body;
  EXPECT_EQ(body_of(*listed)["questions"][0]["id"], id);
  // Answers that do not fit are refused; the question still waits.
  auto unfit = answer(id, {{"action", "accept"}, {"content", {{"age", 3}}}});
  ASSERT_TRUE(unfit && unfit->status == 400) << describe(unfit);
  EXPECT_NE(unfit->body.find("required field 'name'"), std::string::npos)
    << unfit->body;
  auto wrong_type
    = answer(id, {{"action", "accept"}, {"content", {{"name", 7}}}});
  ASSERT_TRUE(wrong_type && wrong_type->status == 400) << describe(wrong_type);
  auto bad_action = answer(id, {{"action", "maybe"}});
  ASSERT_TRUE(bad_action && bad_action->status == 400) << describe(bad_action);
  auto unknown = answer("q-0000000000000000", {{"action", "decline"}});
  ASSERT_TRUE(unknown && unknown->status == 404) << describe(unknown);
  // The answer settles it, reaches the server and ends the turn.
  auto settled = answer(
    id, {{"action", "accept"}, {"content", {{"name", "Ada"}, {"age", 36}}}});
  ASSERT_TRUE(settled && settled->status == 200) << describe(settled);
  EXPECT_EQ(body_of(*settled)["state"], "accepted") << settled->body;
  EXPECT_EQ(body_of(*settled)["content"]["name"], "Ada") << settled->body;
  // The stream ends with the done event.
  ASSERT_TRUE(stream.await_close(30s)) << stream.buffered();
  auto seen = events_of(stream);
  auto done = event_data(seen, "done");
  ASSERT_TRUE(done.is_object()) << seen;
  ASSERT_EQ(done["steps"].size(), 1u) << seen;
  auto result = json::parse(done["steps"][0]["result"].get<std::string>(),
                            nullptr, false);
  EXPECT_EQ(result["result"]["action"], "accept") << seen;
  EXPECT_EQ(result["result"]["content"]["name"], "Ada") << seen;
  EXPECT_EQ(result["result"]["content"]["age"], 36) << seen;
  // The session's history keeps the question with its answer.
  auto session = get(port(), "/v1/agents/caller/sessions/"
                               + done["session_id"].get<std::string>());
  ASSERT_TRUE(session && session->status == 200) << describe(session);
  bool kept = false;
  // Kept: a range over a member of a temporary would dangle.
  auto history = body_of(*session);
  for (const auto& turn : history["turns"])
    for (const auto& call : turn["tool_calls"])
      for (const auto& asked : call.value("questions", json::array()))
        kept = kept
               || (asked["id"] == id && asked["state"] == "accepted"
                   && asked["content"]["name"] == "Ada");
  EXPECT_TRUE(kept) << session->body;
  // Nothing waits any more.
  auto after = get(port(), "/v1/agents/caller/questions");
  ASSERT_TRUE(after && after->status == 200) << describe(after);
  EXPECT_TRUE(body_of(*after)["questions"].empty()) << after->body;
}

TEST_F(McpQuestions, ADeclinedQuestionIsDeclinedToTheServer) {
  bsm::test::http_connection stream{port()};
  ASSERT_TRUE(stream.connected()) << stream.error();
  auto q = open_question(stream);
  ASSERT_TRUE(q.is_object()) << stream.buffered();
  auto settled = answer(q["id"].get<std::string>(), {{"action", "decline"}});
  ASSERT_TRUE(settled && settled->status == 200) << describe(settled);
  EXPECT_EQ(body_of(*settled)["state"], "declined");
  ASSERT_TRUE(stream.read_until("event: done", 30s)) << stream.buffered();
  EXPECT_NE(stream.buffered().find(R"(\"action\":\"decline\")"),
            std::string::npos)
    << stream.buffered();
}

TEST_F(McpQuestions, AQuestionNobodyAnswersIsDeclinedAtItsDeadline) {
  // hasty's questions wait 300 ms.
  auto res = chat(elicit_input("hasty"));
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto doc = body_of(*res);
  ASSERT_EQ(doc["steps"].size(), 1u) << res->body;
  auto result
    = json::parse(doc["steps"][0]["result"].get<std::string>(), nullptr, false);
  EXPECT_EQ(result["result"]["action"], "decline") << res->body;
  ASSERT_EQ(doc["steps"][0]["questions"].size(), 1u) << res->body;
  EXPECT_EQ(doc["steps"][0]["questions"][0]["state"], "declined");
  EXPECT_FALSE(doc["steps"][0]["questions"][0].contains("answered_by"));
}

// A2A's CancelTask of a task still working (its turn waits on a question)
// cancels the turn, which cancels its question.
TEST_F(McpQuestions, CancellingAWorkingA2aTaskCancelsItsTurnAndQuestion) {
  bsm::test::http_connection stream{port()};
  ASSERT_TRUE(stream.connected()) << stream.error();
  json send{
    {"jsonrpc", "2.0"},
    {"id", 1},
    {"method", "SendStreamingMessage"},
    {"params",
     {{"message",
       {{"role", "ROLE_USER"},
        {"messageId", "m-cancel"},
        {"parts", json::array({{{"text", elicit_input("asker")}}})}}}}}};
  ASSERT_TRUE(stream.send(bsm::test::make_request(
    "POST", "/a2a/agents/caller",
    {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}},
    send.dump())));
  // The task's turn ("a2a-<task id>") waits on the server's question.
  json waiting;
  ASSERT_TRUE(bsm::test::poll_until([&] {
    auto res = get(port(), "/v1/agents/caller/questions");
    if (!res || res->status != 200)
      return false;
    auto listed = body_of(*res);
    for (const auto& q : listed["questions"])
      if (q["turn_id"].get<std::string>().rfind("a2a-", 0) == 0)
        waiting = q;
    return waiting.is_object();
  }))
    << node_->proc().err();
  auto task = waiting["turn_id"].get<std::string>().substr(4);
  json cancel{{"jsonrpc", "2.0"},
              {"id", 2},
              {"method", "CancelTask"},
              {"params", {{"id", task}}}};
  auto res = post_json(port(), "/a2a/agents/caller", cancel.dump());
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  EXPECT_EQ(body_of(*res)["result"]["status"]["state"], "TASK_STATE_CANCELED")
    << res->body;
  // The turn ended, so its question is gone, settled as cancelled.
  EXPECT_TRUE(bsm::test::poll_until([&] {
    auto left = get(port(), "/v1/agents/caller/questions");
    return left && left->status == 200
           && left->body.find(waiting["id"].get<std::string>())
                == std::string::npos;
  }));
  auto answer_late
    = answer(waiting["id"].get<std::string>(), {{"action", "decline"}});
  ASSERT_TRUE(answer_late) << describe(answer_late);
  EXPECT_EQ(answer_late->status, 404) << answer_late->body;
  EXPECT_TRUE(stream.await_close(30s)) << stream.buffered();
}

// The server's progress shows in a streamed chat as it comes.
TEST_F(McpQuestions, ProgressShowsInAStreamedChat) {
  bsm::test::http_connection stream{port()};
  ASSERT_TRUE(stream.connected()) << stream.error();
  auto body = json{{"input",
                    "call asker__progress {\"steps\": 2, \"interval_ms\": 50}"}}
                .dump();
  ASSERT_TRUE(stream.send(bsm::test::make_request(
    "POST", "/v1/agents/caller/chat",
    {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}},
    body)));
  ASSERT_TRUE(stream.await_close(30s)) << stream.buffered();
  auto seen = events_of(stream);
  auto event = event_data(seen, "progress");
  ASSERT_TRUE(event.is_object()) << seen;
  ASSERT_TRUE(event_data(seen, "progress", 1).is_object()) << seen;
  EXPECT_EQ(event["tool"], "asker__progress") << seen;
  EXPECT_EQ(event["server"], "asker") << seen;
  EXPECT_EQ(event["progress"], 1) << seen;
  // Progress comes before the call's result.
  EXPECT_LT(seen.rfind("event: progress"), seen.find("event: tool_result"))
    << seen;
}
