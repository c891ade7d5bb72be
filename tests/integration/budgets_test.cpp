// Model budgets across a cluster (issue 18): three real bsmd processes on
// loopback share one budget whose counter lives on one of them, with
// static seeds and with Redis membership (a real redis-server). Agents
// placed on each node chat at once through every node; the sum of turns
// admitted across the nodes stays within the limit, the others get 429
// with Retry-After and the budget's name, and every node lists the same
// counter in GET /v1/budgets.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/common/poll.hpp"
#include "tests/common/redis_server.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/process.hpp"
#include "tests/integration/raw_peer.hpp"
#include "tests/integration/test_node.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::body_of;
using bsm::test::describe;
using bsm::test::generous_deadline;
using bsm::test::get;
using bsm::test::poll_until;
using bsm::test::post_json;
using bsm::test::process;
using bsm::test::temp_dir;
using bsm::test::write_file;

constexpr int limit = 5;
const char* const node_names[] = {"node-a", "node-b", "node-c"};

// One agent placed on each node, each answering with the local model and
// no tools: one model call per turn.
void write_agents(const std::filesystem::path& dir) {
  for (size_t i = 0; i < 3; ++i)
    write_file(dir / ("talker" + std::to_string(i) + ".yaml"),
               "name: talker" + std::to_string(i)
                 + "\n"
                   "description: Answers briefly.\n"
                   "model:\n  provider: local\n  name: local\n"
                   "system_prompt: You answer briefly.\n"
                   "placement:\n  node: "
                 + node_names[i] + "\n");
}

// The budget every node has: model calls of the local model, per day (a
// minute window could end during the test and admit more).
const std::string budgets_yaml = "budgets:\n"
                                 "  limits:\n"
                                 "    - name: shared-daily\n"
                                 "      scope: model\n"
                                 "      match: local\n"
                                 "      requests_per_day: "
                                 + std::to_string(limit) + "\n";

struct chat_result {
  int status = 0;
  std::string retry_after;
  std::string body;
};

// A metric's value summed over its series whose labels contain `labels`.
double metric_sum(const std::string& text, const std::string& name,
                  const std::string& labels) {
  double sum = 0;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0
        || line.find(labels) == std::string::npos)
      continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// The parameter: "static" (seeds) or "redis" (membership in a
// redis-server the test starts).
class BudgetClusterTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    std::string membership = "static";
    if (GetParam() == "redis") {
      if (!std::filesystem::exists(bsm::test::redis_server_path))
        GTEST_SKIP() << "redis-server is not installed";
      auto port = bsm::test::free_port();
      std::string why;
      redis_ = bsm::test::redis_process::start(port, why);
      ASSERT_TRUE(redis_) << why;
      membership = "redis://127.0.0.1:" + std::to_string(port);
    }
    write_agents(dir_.path() / "agents");
    uint16_t ports[3];
    for (auto& p : ports)
      p = bsm::test::free_port();
    auto address = [&ports](size_t i) {
      return "127.0.0.1:" + std::to_string(ports[i]);
    };
    for (size_t i = 0; i < 3; ++i) {
      std::ostringstream yaml;
      yaml << "node:\n  name: " << node_names[i]
           << "\n  data_dir: " << (dir_.path() / node_names[i]).string()
           << "\nhttp:\n  listen: 127.0.0.1:0\n"
           << "cluster:\n  listen: " << address(i) << "\n";
      if (membership == "static")
        yaml << "  seeds: [" << address(0) << ", " << address(1) << ", "
             << address(2) << "]\n";
      yaml << "  membership: " << membership << "\n"
           << "logging:\n  level: warn\n"
           << budgets_yaml << "agents:\n  paths: ["
           << (dir_.path() / "agents").string() << "]\n";
      auto config = dir_.path() / (std::string{node_names[i]} + ".yaml");
      write_file(config, yaml.str());
      configs_.push_back(config);
    }
    for (size_t i = 0; i < 3; ++i) {
      auto data = dir_.path() / node_names[i];
      std::filesystem::create_directories(data);
      procs_.push_back(std::make_unique<process>(
        std::vector<std::string>{BSMD_PATH, "--config", configs_[i].string()},
        dir_.path() / (std::string{node_names[i]} + "-out")));
      auto addr = bsm::test::await_http_address(data, *procs_.back());
      ASSERT_TRUE(addr) << node_names[i] << ": " << procs_.back()->err();
      http_.push_back(
        static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1))));
    }
  }

  void TearDown() override {
    for (auto& p : procs_)
      p->signal(SIGKILL);
  }

  // Every node sees all three up (itself included), is ready and can ask every
  // other node's budgets actor (GET /v1/budgets names none unreachable).
  ::testing::AssertionResult await_cluster() {
    for (size_t i = 0; i < 3; ++i) {
      auto ok = poll_until(
        [&] {
          auto ready = get(http_[i], "/readyz");
          auto view = get(http_[i], "/v1/cluster");
          auto budgets = get(http_[i], "/v1/budgets");
          if (!ready || ready->status != 200 || !view || view->status != 200
              || !budgets || budgets->status != 200)
            return false;
          // The body in a variable: a range over a member of a temporary
          // reads freed memory.
          auto members = body_of(*view)["members"];
          size_t up = 0;
          for (const auto& m : members)
            up += m["state"] == "up" ? 1 : 0;
          return up == 3 && body_of(*budgets)["unreachable"].empty();
        },
        generous_deadline, 100ms);
      if (!ok)
        return ::testing::AssertionFailure()
               << node_names[i] << " is not ready with all members: "
               << describe(get(http_[i], "/v1/budgets")) << "\n"
               << procs_[i]->err();
    }
    return ::testing::AssertionSuccess();
  }

  chat_result chat(size_t via, size_t agent, int n) {
    nlohmann::json body{{"input", "hello number " + std::to_string(n)}};
    auto res = post_json(http_[via],
                         "/v1/agents/talker" + std::to_string(agent) + "/chat",
                         body.dump());
    if (!res)
      return {};
    return {res->status, res->header("Retry-After"), res->body};
  }

  // The counter as node `i` lists it (null if it does not).
  nlohmann::json listed_counter(size_t i) {
    auto res = get(http_[i], "/v1/budgets");
    if (!res || res->status != 200)
      return nullptr;
    auto budgets = body_of(*res)["budgets"];
    for (const auto& x : budgets)
      if (x["name"] == "shared-daily")
        return x;
    return nullptr;
  }

  temp_dir dir_;
  std::vector<std::filesystem::path> configs_;
  std::vector<std::unique_ptr<process>> procs_;
  std::vector<uint16_t> http_;
  std::unique_ptr<bsm::test::redis_process> redis_;
};

TEST_P(BudgetClusterTest, ThreeNodesShareOneLimit) {
  ASSERT_TRUE(await_cluster());
  // Twelve chats at once: each thread chats with another node's agent
  // through its own node, so turns run on all three nodes.
  std::vector<chat_result> results(12);
  std::vector<std::thread> threads;
  for (int n = 0; n < 12; ++n)
    threads.emplace_back(
      [this, n, &results] { results[n] = chat(n % 3, (n + 1) % 3, n); });
  for (auto& t : threads)
    t.join();
  int admitted = 0;
  int refused = 0;
  for (const auto& r : results) {
    if (r.status == 200) {
      ++admitted;
      continue;
    }
    ASSERT_EQ(r.status, 429) << r.body;
    ++refused;
    auto error = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_EQ(error["error"]["code"], "rate_limited") << r.body;
    EXPECT_NE(error["error"]["message"].get<std::string>().find(
                "budget 'shared-daily'"),
              std::string::npos)
      << r.body;
    // The day's window refills at midnight UTC: Retry-After says so, in
    // whole seconds.
    ASSERT_TRUE(std::regex_match(r.retry_after, std::regex{"[1-9][0-9]*"}))
      << "Retry-After: '" << r.retry_after << "'";
    EXPECT_LE(std::stoll(r.retry_after), 86'400);
  }
  // The counter, as every node lists it: one counter on one node.
  auto counter = listed_counter(0);
  ASSERT_FALSE(counter.is_null()) << describe(get(http_[0], "/v1/budgets"));
  EXPECT_EQ(counter["scope"], "model");
  EXPECT_EQ(counter["key"], "local");
  EXPECT_EQ(counter["limit_kind"], "requests_per_day");
  EXPECT_EQ(counter["limit"], limit);
  for (size_t i = 1; i < 3; ++i) {
    auto other = listed_counter(i);
    ASSERT_FALSE(other.is_null());
    EXPECT_EQ(other["node"], counter["node"]);
    EXPECT_EQ(other["used"], counter["used"]);
  }
  // A chat that crossed midnight UTC met two windows: it could admit one
  // limit in each.
  int windows = counter["used"].get<double>() < admitted ? 2 : 1;
  EXPECT_LE(admitted, windows * limit) << "admitted " << admitted;
  EXPECT_EQ(admitted + refused, 12);
  if (windows == 1) {
    EXPECT_EQ(admitted, limit) << "every owner answered, so the limit was "
                                  "reached exactly";
    EXPECT_EQ(counter["used"], limit);
    EXPECT_EQ(counter["remaining"], 0);
  }
  // The owner counted the decisions and reached both levels once.
  std::string owner = counter["node"];
  size_t at = std::find(std::begin(node_names), std::end(node_names), owner)
              - std::begin(node_names);
  ASSERT_LT(at, 3u) << owner;
  auto metrics = get(http_[at], "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_EQ(metric_sum(metrics->body, "bsm_budget_decisions_total",
                       "outcome=\"granted\""),
            admitted);
  EXPECT_EQ(
    metric_sum(metrics->body, "bsm_budget_events_total", "level=\"spent\""),
    windows);
  EXPECT_EQ(
    metric_sum(metrics->body, "bsm_budget_events_total", "level=\"warning\""),
    windows);
}

TEST_P(BudgetClusterTest, SpentBudgetRefusesOpenAiChatWithRetryAfter) {
  ASSERT_TRUE(await_cluster());
  for (int n = 0; n < limit; ++n)
    ASSERT_EQ(chat(n % 3, n % 3, n).status, 200);
  nlohmann::json body{
    {"model", "talker1"},
    {"messages", {{{"role", "user"}, {"content", "one more"}}}}};
  auto res = post_json(http_[2], "/v1/chat/completions", body.dump());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 429) << res->body;
  EXPECT_TRUE(
    std::regex_match(res->header("Retry-After"), std::regex{"[1-9][0-9]*"}));
  EXPECT_NE(res->body.find("shared-daily"), std::string::npos) << res->body;
}

INSTANTIATE_TEST_SUITE_P(Membership, BudgetClusterTest,
                         ::testing::Values("static", "redis"),
                         [](const auto& param) { return param.param; });

} // namespace
