// The OpenAI-compatible routes (API.md, "OpenAI-compatible"; ECOSYSTEM.md)
// against the official `openai` npm client: a real bsmd on 127.0.0.1:0 and
// tests/integration/openai_sdk_check.mjs run once with the node binary
// from PATH and the client from tests/peers/node_modules. The script
// prints one JSON line of what the client saw; each test judges one part
// of it, so a failure names the part of the contract the client tripped on.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string bsmd = BSMD_PATH;
const fs::path source_dir = BSM_SOURCE_DIR;

/// What the script printed (its last non-empty line), or the reason there
/// is nothing to judge.
struct sdk_run {
  json results;
  std::string failure;
};

/// Starts bsmd with the seed agents, waits until it is ready, runs the
/// script against it, and stops the node.
sdk_run run_sdk_check() {
  auto node = bsm::test::find_in_path("node");
  if (node.empty())
    return {{}, "no 'node' in PATH (deploy/install-deps.sh installs it)"};
  auto client = source_dir / "tests/peers/node_modules/openai/index.mjs";
  if (!fs::exists(client))
    return {{},
            "the test peers are not installed (" + client.string()
              + " is missing): run tests/peers/install.sh (make test "
                "does)"};
  bsm::test::temp_dir work;
  auto data_dir = work.path() / "data";
  fs::create_directories(data_dir);
  bsm::test::process bsm_node{
    bsm::test::node_argv(bsmd, (source_dir / "config/node.yaml").string(),
                         data_dir),
    work.path()};
  auto addr = bsm::test::await_http_address(data_dir, bsm_node);
  if (!addr)
    return {{}, "bsmd did not listen: " + bsm_node.err()};
  auto port
    = static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
  // The agents may trail the listening socket by a moment.
  auto ready = bsm::test::poll_until(
    [&] {
      auto res = bsm::test::http_exchange(
        port,
        bsm::test::make_request("GET", "/v1/models/legal",
                                {{"Connection", "close"}}),
        2s);
      return res && res->status == 200;
    },
    bsm::test::generous_deadline, 50ms);
  if (!ready)
    return {{}, "bsmd never served GET /v1/models/legal: " + bsm_node.err()};
  auto script = source_dir / "tests/integration/openai_sdk_check.mjs";
  auto run = bsm::test::run({node, script.string(), "http://" + *addr + "/v1"},
                            work.path(), 90s);
  bsm_node.signal(SIGTERM);
  bsm_node.wait(20s);
  if (run.code != 0)
    return {{},
            "the script exited with " + std::to_string(run.code)
              + "\nstdout: " + run.out + "\nstderr: " + run.err};
  auto end = run.out.find_last_not_of("\r\n");
  auto start = run.out.rfind('\n', end);
  auto line = run.out.substr(start == std::string::npos ? 0 : start + 1);
  auto results = json::parse(line, nullptr, false);
  if (!results.is_object())
    return {{}, "the script printed no JSON line: " + run.out + run.err};
  return {std::move(results), {}};
}

class OpenAiSdk : public testing::Test {
protected:
  static void SetUpTestSuite() {
    run_ = std::make_unique<sdk_run>(run_sdk_check());
  }

  static void TearDownTestSuite() {
    run_.reset();
  }

  /// results[name], failing the test when the run or that part failed.
  static testing::AssertionResult part(const std::string& name, json& out) {
    if (!run_->failure.empty())
      return testing::AssertionFailure() << run_->failure;
    auto it = run_->results.find(name);
    if (it == run_->results.end() || !it->is_object())
      return testing::AssertionFailure()
             << "the script reported no part '" << name
             << "': " << run_->results.dump();
    if (it->contains("error"))
      return testing::AssertionFailure() << "the client threw in part '" << name
                                         << "': " << (*it)["error"].dump();
    out = *it;
    return testing::AssertionSuccess();
  }

  static std::unique_ptr<sdk_run> run_;
};

std::unique_ptr<sdk_run> OpenAiSdk::run_;

std::string str(const json& x, const char* key) {
  auto it = x.find(key);
  return it != x.end() && it->is_string() ? it->get<std::string>()
                                          : std::string{};
}

/// Checks one tool call: get_weather with {"city":"Paris"}, parsed by the
/// client from the arguments string.
void expect_weather_call(const json& calls, const std::string& where) {
  ASSERT_TRUE(calls.is_array() && calls.size() == 1)
    << where << ": want one tool call, got " << calls.dump();
  const auto& call = calls[0];
  EXPECT_EQ(str(call, "type"), "function") << where << ": " << call.dump();
  EXPECT_EQ(str(call, "name"), "get_weather") << where << ": " << call.dump();
  EXPECT_FALSE(str(call, "id").empty()) << where << ": " << call.dump();
  EXPECT_EQ(json::parse(str(call, "arguments"), nullptr, false),
            (json{{"city", "Paris"}}))
    << where << ": the arguments string: " << call.dump();
  EXPECT_EQ(call.value("parsed_arguments", json{}), (json{{"city", "Paris"}}))
    << where << ": the client's parsed_arguments: " << call.dump();
}

void expect_usage(const json& usage, const std::string& where) {
  ASSERT_TRUE(usage.is_object()) << where << ": no usage: " << usage.dump();
  for (const auto* key : {"prompt_tokens", "completion_tokens", "total_tokens"})
    EXPECT_TRUE(usage.contains(key) && usage[key].is_number_integer())
      << where << ": usage." << key << " missing: " << usage.dump();
  EXPECT_GT(usage.value("total_tokens", 0), 0) << where << ": " << usage.dump();
}

/// A 4xx the client threw as `want_class` after exactly one request.
void expect_client_error(const json& x, int want_status,
                         const std::string& want_class) {
  EXPECT_TRUE(x.value("thrown", false)) << "the client did not throw";
  EXPECT_TRUE(x.value("expected_class", false))
    << "want " << want_class << ", the client threw " << x.dump();
  EXPECT_EQ(x.value("status", 0), want_status) << x.dump();
  EXPECT_EQ(str(x, "type"), "invalid_request_error") << x.dump();
  EXPECT_FALSE(str(x, "code").empty()) << x.dump();
  // Every request of the client goes through the script's counting fetch,
  // retries included (a retry would also wait 0.375 s or more first; the
  // script reports the time, but a loaded machine makes it no test).
  EXPECT_EQ(x.value("requests", 0), 1)
    << "the client retried a " << want_status << ": " << x.dump();
}

TEST_F(OpenAiSdk, ListsTheSeedAgentsAsModelsAndRetrievesOne) {
  json x;
  ASSERT_TRUE(part("models", x));
  auto ids = x.value("ids", json::array());
  for (const auto* agent :
       {"legal", "governance", "security", "architect", "runner", "ml"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), agent), ids.end())
      << "models.list() lacks '" << agent << "': " << ids.dump();
  EXPECT_EQ(x.value("retrieved", json{}),
            (json{{"id", "legal"}, {"object", "model"}}))
    << x.dump();
}

TEST_F(OpenAiSdk, PlainCompletionHasContentStopAndUsage) {
  json x;
  ASSERT_TRUE(part("plain", x));
  EXPECT_EQ(str(x, "object"), "chat.completion") << x.dump();
  EXPECT_EQ(str(x, "id").rfind("chatcmpl-", 0), 0u) << x.dump();
  EXPECT_EQ(str(x, "role"), "assistant") << x.dump();
  EXPECT_FALSE(str(x, "content").empty()) << x.dump();
  EXPECT_EQ(str(x, "finish_reason"), "stop") << x.dump();
  expect_usage(x.value("usage", json{}), "plain");
}

TEST_F(OpenAiSdk, StreamHelperFinalMessageEqualsTheDeltas) {
  json x;
  ASSERT_TRUE(part("stream", x));
  EXPECT_FALSE(str(x, "deltas").empty()) << x.dump();
  EXPECT_EQ(str(x, "content"), str(x, "deltas"))
    << "finalChatCompletion() differs from the concatenated deltas";
  EXPECT_EQ(str(x, "role"), "assistant") << x.dump();
  EXPECT_EQ(str(x, "finish_reason"), "stop") << x.dump();
  EXPECT_NE(str(x, "content").find("current_time"), std::string::npos)
    << "'what time is it?' should run current_time: " << x.dump();
  EXPECT_EQ(x.value("usage_chunks", -1), 0)
    << "usage came without include_usage: " << x.dump();
}

TEST_F(OpenAiSdk, StreamWithIncludeUsageEndsWithAUsageChunk) {
  json x;
  ASSERT_TRUE(part("stream_usage", x));
  EXPECT_FALSE(str(x, "deltas").empty()) << x.dump();
  EXPECT_EQ(str(x, "content"), str(x, "deltas")) << x.dump();
  EXPECT_EQ(str(x, "finish_reason"), "stop") << x.dump();
  EXPECT_EQ(x.value("usage_chunks", 0), 1) << x.dump();
  expect_usage(x.value("usage", json{}), "stream_usage");
}

TEST_F(OpenAiSdk, ClientToolCallEndsTheTurnAndItsResultIsAnswered) {
  json x;
  ASSERT_TRUE(part("tools", x));
  EXPECT_EQ(str(x, "finish_reason"), "tool_calls") << x.dump();
  EXPECT_TRUE(x.value("content", json{}).is_null())
    << "a turn that only calls tools has content null: " << x.dump();
  expect_weather_call(x.value("tool_calls", json{}), "parse()");
  // The assistant message echoed back as the client returned it, then the
  // tool's result: the agent answers with it.
  auto follow = x.value("follow_up", json{});
  ASSERT_TRUE(follow.is_object()) << x.dump();
  EXPECT_EQ(str(follow, "finish_reason"), "stop") << follow.dump();
  EXPECT_NE(str(follow, "content").find("temperature_c"), std::string::npos)
    << "the tool result should reach the agent: " << follow.dump();
}

TEST_F(OpenAiSdk, StreamHelperAssemblesClientToolCalls) {
  json x;
  ASSERT_TRUE(part("tools_stream", x));
  EXPECT_EQ(str(x, "finish_reason"), "tool_calls") << x.dump();
  EXPECT_EQ(str(x, "role"), "assistant") << x.dump();
  expect_weather_call(x.value("tool_calls", json{}), "stream()");
  // The local provider streams the call whole as it makes it, in one
  // tool_calls delta; the end of the stream does not write it again.
  EXPECT_EQ(x.value("tool_call_chunks", -1), 1) << x.dump();
}

TEST_F(OpenAiSdk, UnknownModelIsNotFoundErrorWithoutRetry) {
  json x;
  ASSERT_TRUE(part("not_found", x));
  expect_client_error(x, 404, "NotFoundError");
  EXPECT_EQ(str(x, "code"), "not_found") << x.dump();
  EXPECT_EQ(str(x, "param"), "model") << x.dump();
}

TEST_F(OpenAiSdk, UnknownModelInStreamHelperIsNotFoundError) {
  json x;
  ASSERT_TRUE(part("not_found_stream", x));
  expect_client_error(x, 404, "NotFoundError");
}

TEST_F(OpenAiSdk, RetrievingAnUnknownModelIsNotFoundError) {
  json x;
  ASSERT_TRUE(part("not_found_model", x));
  expect_client_error(x, 404, "NotFoundError");
}

TEST_F(OpenAiSdk, EmptyMessagesIsBadRequestErrorWithoutRetry) {
  json x;
  ASSERT_TRUE(part("bad_request", x));
  expect_client_error(x, 400, "BadRequestError");
  EXPECT_EQ(str(x, "code"), "invalid_argument") << x.dump();
}

} // namespace
