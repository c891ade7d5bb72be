// The A2A server at /a2a/agents/{name} (API.md, "A2A"; ECOSYSTEM.md, A2A):
// a real bsmd with the seed agents, reached by the @a2a-js/sdk 1.3.0
// client (tests/integration/a2a_sdk_check.mjs, once per suite) through
// its card, in A2A 1.0 and through its 0.3 transport, and by hand for what
// a well-behaved client never sends.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "test_node.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using bsm::test::describe;
using bsm::test::opt_response;
namespace fs = std::filesystem;

// TaskState of the SDK's types (its proto enum).
constexpr int working = 2;
constexpr int completed = 3;

struct seed_agents {
  static std::vector<std::string> get() {
    return {bsm::test::seed_agents_set()};
  }
};

class A2aServer : public bsm::test::configured_node<seed_agents> {
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

  static std::string endpoint() {
    return "/a2a/agents/runner";
  }

  static json run_sdk_check(std::string* failure) {
    auto node = bsm::test::find_in_path("node");
    auto peers = fs::path{BSM_SOURCE_DIR} / "tests/peers/node_modules";
    if (node.empty() || !fs::exists(peers / "@a2a-js/sdk")) {
      *failure = "node or the test peers are missing: run "
                 "tests/peers/install.sh (make test does)";
      return {};
    }
    auto script
      = fs::path{BSM_SOURCE_DIR} / "tests/integration/a2a_sdk_check.mjs";
    auto url = "http://127.0.0.1:" + std::to_string(port()) + endpoint();
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

  static json rpc(const std::string& method, json params,
                  const std::string& target = endpoint()) {
    json body{
      {"jsonrpc", "2.0"}, {"id", 4}, {"method", method}, {"params", params}};
    auto res = bsm::test::post_json(port(), target, body.dump());
    EXPECT_TRUE(res && res->status == 200) << describe(res);
    return res ? bsm::test::body_of(*res) : json{};
  }

  static inline json* sdk_ = nullptr;
  static inline std::string sdk_failure_;
};

TEST_F(A2aServer, TheSdkFindsTheAgentThroughItsCard) {
  json x;
  ASSERT_TRUE(part("card", x));
  EXPECT_EQ(x["name"], "runner") << x;
  EXPECT_FALSE(x["description"].get<std::string>().empty()) << x;
  EXPECT_EQ(x["streaming"], true) << x;
  EXPECT_EQ(x["protocol"], "1.0") << x;
  ASSERT_EQ(x["interfaces"].size(), 1u) << x;
  EXPECT_EQ(x["interfaces"][0]["url"],
            "http://127.0.0.1:" + std::to_string(port()) + endpoint())
    << x;
  EXPECT_EQ(x["interfaces"][0]["protocolBinding"], "JSONRPC") << x;
}

TEST_F(A2aServer, ASentMessageIsACompletedTaskInTheAgentSession) {
  json first;
  ASSERT_TRUE(part("send", first));
  EXPECT_EQ(first["state"], completed) << first;
  EXPECT_FALSE(first["answer"].get<std::string>().empty()) << first;
  auto context = first["contextId"].get<std::string>();
  ASSERT_FALSE(context.empty()) << first;
  json again;
  ASSERT_TRUE(part("again", again));
  EXPECT_EQ(again["contextId"], context) << again;
  EXPECT_NE(again["id"], first["id"]) << again;
  // The contextId is the agent's session, which holds both turns.
  auto turns = bsm::test::get(port(), "/v1/agents/runner/sessions/" + context);
  ASSERT_TRUE(turns && turns->status == 200) << describe(turns);
  auto listed = bsm::test::body_of(*turns)["turns"];
  ASSERT_EQ(listed.size(), 4u) << turns->body;
  EXPECT_EQ(listed[0]["content"], "remember owner is alice") << turns->body;
}

TEST_F(A2aServer, AStreamedTaskWorksThenCompletesWithTheAnswer) {
  json x;
  ASSERT_TRUE(part("stream", x));
  const auto& events = x["events"];
  ASSERT_GE(events.size(), 3u) << x;
  EXPECT_EQ(events[0]["kind"], "task") << x;
  EXPECT_EQ(events[0]["state"], working) << x;
  EXPECT_EQ(events.back()["kind"], "status") << x;
  EXPECT_EQ(events.back()["state"], completed) << x;
  bool artifact = false;
  for (const auto& e : events)
    artifact = artifact || e["kind"] == "artifact";
  EXPECT_TRUE(artifact) << x;
  EXPECT_FALSE(x["answer"].get<std::string>().empty()) << x;
}

TEST_F(A2aServer, ATaskIsFoundAgainButNotCanceledOnceEnded) {
  json sent;
  ASSERT_TRUE(part("send", sent));
  json got;
  ASSERT_TRUE(part("get", got));
  EXPECT_EQ(got["id"], sent["id"]) << got;
  EXPECT_EQ(got["state"], completed) << got;
  EXPECT_EQ(got["answer"], sent["answer"]) << got;
  json cancel;
  ASSERT_TRUE(part("cancel", cancel));
  EXPECT_TRUE(cancel.value("thrown", false)) << cancel;
  EXPECT_EQ(cancel["name"], "JsonRpcTaskNotCancelableError") << cancel;
  json missing;
  ASSERT_TRUE(part("missing", missing));
  EXPECT_EQ(missing["name"], "JsonRpcTaskNotFoundError") << missing;
}

TEST_F(A2aServer, TheSdkZeroThreeTransportIsServedToo) {
  json x;
  ASSERT_TRUE(part("legacy", x));
  EXPECT_EQ(x["protocol"], "0.3") << x;
  EXPECT_EQ(x["sent"]["state"], completed) << x;
  EXPECT_FALSE(x["sent"]["answer"].get<std::string>().empty()) << x;
  EXPECT_EQ(x["got"]["id"], x["sent"]["id"]) << x;
}

TEST_F(A2aServer, BadRequestsAreJsonRpcErrors) {
  EXPECT_EQ(rpc("ListTasks", json::object())["error"]["code"], -32601);
  EXPECT_EQ(rpc("GetTask", {{"id", 5}})["error"]["code"], -32602);
  json file{{"message",
             {{"role", "ROLE_USER"},
              {"messageId", "m"},
              {"parts", json::array({{{"url", "file:///etc/passwd"}}})}}}};
  EXPECT_EQ(rpc("SendMessage", file)["error"]["code"], -32005);
  json text{{"message",
             {{"role", "ROLE_USER"},
              {"messageId", "m"},
              {"taskId", "t-1"},
              {"parts", json::array({{{"text", "x"}}})}}}};
  EXPECT_EQ(rpc("SendMessage", text)["error"]["code"], -32004);
  auto garbage = bsm::test::post_json(port(), endpoint(), "{not json");
  ASSERT_TRUE(garbage) << describe(garbage);
  EXPECT_EQ(bsm::test::body_of(*garbage)["error"]["code"], -32700)
    << garbage->body;
  auto nobody = bsm::test::post_json(
    port(), "/a2a/agents/nobody",
    json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "GetTask"}}.dump());
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->status, 404) << nobody->body;
  auto card = bsm::test::get(port(), "/a2a/agents/nobody/.well-known/"
                                     "agent-card.json");
  ASSERT_TRUE(card);
  EXPECT_EQ(card->status, 404) << card->body;
}

TEST_F(A2aServer, AnotherAgentDoesNotFindTheTask) {
  json sent;
  ASSERT_TRUE(part("send", sent));
  auto other = rpc("GetTask", {{"id", sent["id"]}}, "/a2a/agents/legal");
  EXPECT_EQ(other["error"]["code"], -32001) << other;
  auto same = rpc("tasks/get", {{"id", sent["id"]}});
  EXPECT_EQ(same["result"]["kind"], "task") << same;
  EXPECT_EQ(same["result"]["status"]["state"], "completed") << same;
}

} // namespace
