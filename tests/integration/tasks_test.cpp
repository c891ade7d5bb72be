// The task queue on a real bsmd (API.md, "Tasks"): priorities and aging,
// delays (also one due while the node was down), retries with backoff to
// dead and a manual retry, a kill -9 mid-task, cancellation, deadlines,
// per-target concurrency, actor targets, idempotency keys, a task waiting
// for its model budget to refill, and bad input.
// The agent `worker` asks a scripted upstream, so a test decides when its
// turns end (held replies) and how (errors).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scripted_upstream.hpp"
#include "test_node.hpp"

namespace {

namespace fs = std::filesystem;

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// Setup, not a claim: polls until the wall clock is past `unix_ms` (the
// node's task times are unix milliseconds).
bool clock_passes(int64_t unix_ms) {
  return bsm::test::poll_until([&] { return unix_now_ms() > unix_ms; });
}
using bsm::test::completion;
using bsm::test::describe;
using bsm::test::json_reply;
using bsm::test::scripted_upstream;
using bsm::test::test_node;
using nlohmann::json;

class TasksTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto agents = dir_.path() / "agents";
    fs::create_directories(agents);
    std::ofstream{agents / "worker.yaml"}
      << "name: worker\ndescription: Works for the tests.\n"
         "system_prompt: You work.\n"
         "model: {provider: openai, name: test-model}\n";
    agents_ = agents.string();
  }

  // A node on the test's data dir with the worker agent and `sets`, on the
  // shipped config or on `config`.
  std::unique_ptr<test_node> start(std::vector<std::string> sets = {},
                                   const std::string& config
                                   = std::string{BSM_SOURCE_DIR}
                                     + "/config/node.yaml") {
    std::vector<std::string> all{"agents.paths=[" + agents_ + "]",
                                 "openai.base_url=" + up_.base_url(),
                                 "openai.api_key=test", "openai.max_retries=0"};
    all.insert(all.end(), sets.begin(), sets.end());
    auto node = std::make_unique<test_node>(dir_.path(), dir_.path() / "data",
                                            all, BSMD_PATH, config);
    EXPECT_NE(node->port(), 0) << node->proc().err();
    return node;
  }

  static std::string submit(uint16_t port, const json& body) {
    auto res = bsm::test::post_json(port, "/v1/tasks", body.dump());
    EXPECT_TRUE(res && res->status == 202) << describe(res);
    if (!res || res->status != 202)
      return {};
    return bsm::test::body_of(*res).value("task_id", "");
  }

  static json task(uint16_t port, const std::string& id) {
    return bsm::test::get_body(port, "/v1/tasks/" + id);
  }

  static bool reaches(uint16_t port, const std::string& id,
                      const std::string& state) {
    return bsm::test::poll_until(
      [&] { return task(port, id).value("state", "") == state; });
  }

  // The inputs of the upstream's requests, in arrival order.
  std::vector<std::string> inputs() const {
    std::vector<std::string> result;
    for (const auto& seen : up_.seen()) {
      const auto& messages = seen.body["messages"];
      if (messages.is_array() && !messages.empty())
        result.push_back(messages.back().value("content", ""));
    }
    return result;
  }

  static json chat(const std::string& input, int priority = 0) {
    return {{"agent", "worker"}, {"input", input}, {"priority", priority}};
  }

  bsm::test::temp_dir dir_;
  scripted_upstream up_;
  std::string agents_;
};

// One slot: while a held turn runs, tasks of priorities 1, 5 and 9 queue;
// they then run 9, 5, 1.
TEST_F(TasksTest, RunsHigherPrioritiesFirst) {
  up_.push_held(json_reply(200, completion("first")));
  up_.repeat(json_reply(200, completion("ok")));
  auto node = start({"tasks.concurrency=1"});
  auto port = node->port();
  auto first = submit(port, chat("blocker"));
  ASSERT_TRUE(reaches(port, first, "running"));
  std::vector<std::string> ids;
  for (int p : {1, 5, 9})
    ids.push_back(submit(port, chat("p" + std::to_string(p), p)));
  up_.release();
  for (const auto& id : ids)
    ASSERT_TRUE(reaches(port, id, "succeeded")) << task(port, id).dump();
  EXPECT_EQ(inputs(), (std::vector<std::string>{"blocker", "p9", "p5", "p1"}));
  EXPECT_EQ(task(port, ids[0])["result"], "ok");
}

// Aging: a priority-0 task that waited past 9 aging steps runs before a
// priority-9 task that came after it.
TEST_F(TasksTest, AgingLetsAnOldLowPriorityTaskGoFirst) {
  up_.push_held(json_reply(200, completion("first")));
  up_.repeat(json_reply(200, completion("ok")));
  auto node = start({"tasks.concurrency=1", "tasks.aging_step=100ms"});
  auto port = node->port();
  auto first = submit(port, chat("blocker"));
  ASSERT_TRUE(reaches(port, first, "running"));
  auto old = submit(port, chat("old", 0));
  // Let the old task age past 9 steps of 100 ms.
  ASSERT_TRUE(
    clock_passes(task(port, old).value("created_at", int64_t{0}) + 1'200));
  auto fresh = submit(port, chat("fresh", 9));
  up_.release();
  ASSERT_TRUE(reaches(port, old, "succeeded"));
  ASSERT_TRUE(reaches(port, fresh, "succeeded"));
  EXPECT_EQ(inputs(), (std::vector<std::string>{"blocker", "old", "fresh"}));
}

TEST_F(TasksTest, ADelayedTaskWaitsForItsTime) {
  up_.repeat(json_reply(200, completion("later")));
  auto node = start();
  auto port = node->port();
  auto id = submit(
    port, json{{"agent", "worker"}, {"input", "wait"}, {"delay_ms", 1'500}});
  auto queued = task(port, id);
  EXPECT_EQ(queued["state"], "queued");
  // The delay counts from the request, which the record's creation
  // follows by a moment: not before is ahead of the creation, by at most
  // the delay.
  EXPECT_GT(queued.value("not_before", int64_t{0}),
            queued.value("created_at", int64_t{0}));
  EXPECT_LE(queued.value("not_before", int64_t{0}),
            queued.value("created_at", int64_t{0}) + 1'500);
  ASSERT_TRUE(reaches(port, id, "succeeded"));
  auto done = task(port, id);
  EXPECT_GE(done.value("updated_at", int64_t{0}),
            queued.value("not_before", int64_t{0}));
}

// Due while the node was down: it runs once the node is back.
TEST_F(TasksTest, ATaskDueWhileTheNodeWasDownRunsAtStart) {
  up_.repeat(json_reply(200, completion("caught up")));
  std::string id;
  int64_t not_before = 0;
  {
    auto node = start();
    id = submit(
      node->port(),
      json{{"agent", "worker"}, {"input", "while down"}, {"delay_ms", 2'000}});
    not_before = task(node->port(), id).value("not_before", int64_t{0});
    ASSERT_EQ(node->stop(), 0);
  }
  EXPECT_EQ(up_.requests(), 0u);
  // Stay down past its time.
  ASSERT_TRUE(clock_passes(not_before + 200));
  auto node = start();
  ASSERT_TRUE(reaches(node->port(), id, "succeeded"));
  EXPECT_EQ(task(node->port(), id)["result"], "caught up");
}

TEST_F(TasksTest, RetriesWithBackoffUntilDeadThenAManualRetry) {
  up_.repeat(json_reply(500, bsm::test::error_body("down", "server_error")));
  auto node = start();
  auto port = node->port();
  auto id = submit(port, json{{"agent", "worker"},
                              {"input", "flaky"},
                              {"max_attempts", 3},
                              {"backoff_initial_ms", 50},
                              {"backoff_max_ms", 200}});
  ASSERT_TRUE(reaches(port, id, "dead")) << task(port, id).dump();
  auto dead = task(port, id);
  EXPECT_EQ(dead["attempts"], 3);
  EXPECT_FALSE(dead.value("error", "").empty());
  EXPECT_EQ(up_.requests(), 3u);
  // A task that is not dead cannot be retried.
  up_.repeat(json_reply(200, completion("mended")));
  auto retried = bsm::test::post_json(port, "/v1/tasks/" + id + "/retry", "");
  ASSERT_TRUE(retried && retried->status == 202) << describe(retried);
  ASSERT_TRUE(reaches(port, id, "succeeded"));
  EXPECT_EQ(task(port, id)["result"], "mended");
  auto again = bsm::test::post_json(port, "/v1/tasks/" + id + "/retry", "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400) << again->body;
}

// kill -9 while the turn runs: the restarted node runs the same attempt
// (same key: the agent's delivery id), and the session holds the turn
// once.
TEST_F(TasksTest, AKilledNodeRunsTheCutAttemptAgainOnce) {
  up_.push_held(json_reply(200, completion("never seen")));
  up_.repeat(json_reply(200, completion("done once")));
  std::string id;
  {
    auto node = start();
    id = submit(node->port(), chat("exactly once"));
    ASSERT_TRUE(reaches(node->port(), id, "running"));
    ASSERT_TRUE(up_.await_requests(1, bsm::test::generous_deadline));
    node->kill();
  }
  auto node = start();
  auto port = node->port();
  ASSERT_TRUE(reaches(port, id, "succeeded")) << task(port, id).dump();
  auto done = task(port, id);
  EXPECT_EQ(done["attempts"], 1);
  EXPECT_EQ(done["result"], "done once");
  auto session = done.value("session_id", "");
  EXPECT_EQ(session, "s-" + id + "-1");
  auto turns = bsm::test::get(port, "/v1/agents/worker/sessions/" + session);
  ASSERT_TRUE(turns && turns->status == 200) << describe(turns);
  auto body = bsm::test::body_of(*turns);
  int inputs_seen = 0;
  for (const auto& turn : body["turns"])
    if (turn.value("content", "") == "exactly once")
      ++inputs_seen;
  EXPECT_EQ(inputs_seen, 1) << body.dump();
}

TEST_F(TasksTest, CancelsQueuedAndRunningTasks) {
  // Keyed by input: turns of different sessions call the model at once,
  // and the cancelled turn may or may not reach it before its cancel.
  up_.push_held_for("running", json_reply(200, completion("too late")));
  up_.push_held_for("next", json_reply(200, completion("ok")));
  up_.repeat(json_reply(200, completion("ok")));
  auto node = start({"tasks.concurrency=1"});
  auto port = node->port();
  auto running = submit(port, chat("running"));
  ASSERT_TRUE(reaches(port, running, "running"));
  auto queued = submit(port, chat("queued"));
  auto del = [&](const std::string& id) {
    return bsm::test::http_exchange(
      port, bsm::test::make_request("DELETE", "/v1/tasks/" + id, {}));
  };
  auto cancelled = del(queued);
  ASSERT_TRUE(cancelled && cancelled->status == 200) << describe(cancelled);
  EXPECT_EQ(bsm::test::body_of(*cancelled)["state"], "cancelled");
  auto stopped = del(running);
  ASSERT_TRUE(stopped && stopped->status == 200) << describe(stopped);
  // The slot is free again: the next task starts while the cancelled
  // turn's model call may still hang; its own answer waits for the
  // release, so its running state is there to be seen.
  auto next = submit(port, chat("next"));
  ASSERT_TRUE(reaches(port, next, "running")) << task(port, next).dump();
  up_.release();
  ASSERT_TRUE(reaches(port, next, "succeeded"));
  EXPECT_EQ(task(port, running)["state"], "cancelled");
  EXPECT_EQ(task(port, queued)["state"], "cancelled");
  auto twice = del(queued);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 400) << twice->body;
  auto inputs_seen = inputs();
  EXPECT_EQ(std::count(inputs_seen.begin(), inputs_seen.end(), "queued"), 0);
}

TEST_F(TasksTest, AQueuedTaskPastItsDeadlineIsDead) {
  up_.push_held(json_reply(200, completion("first")));
  up_.repeat(json_reply(200, completion("ok")));
  auto node = start({"tasks.concurrency=1"});
  auto port = node->port();
  auto blocker = submit(port, chat("blocker"));
  ASSERT_TRUE(reaches(port, blocker, "running"));
  auto late = submit(
    port, json{{"agent", "worker"}, {"input", "late"}, {"deadline_ms", 300}});
  ASSERT_TRUE(reaches(port, late, "dead"));
  EXPECT_NE(task(port, late).value("error", "").find("deadline_exceeded"),
            std::string::npos);
  up_.release();
  ASSERT_TRUE(reaches(port, blocker, "succeeded"));
}

TEST_F(TasksTest, KeepsAnAgentsConcurrencyLimit) {
  for (int i = 0; i < 4; ++i)
    up_.push_held(json_reply(200, completion("ok")));
  auto node = start({"tasks.agent_concurrency=[worker=2]"});
  auto port = node->port();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(submit(port, chat("c" + std::to_string(i))));
  auto count = [&](const std::string& state) {
    auto res = bsm::test::get(port, "/v1/tasks?agent=worker&state=" + state);
    return res && res->status == 200 ? bsm::test::body_of(*res)["tasks"].size()
                                     : size_t{99};
  };
  ASSERT_TRUE(bsm::test::poll_until([&] { return count("running") == 2; }));
  EXPECT_EQ(count("queued"), 2u);
  EXPECT_TRUE(up_.await_requests(2, bsm::test::generous_deadline));
  up_.release();
  for (const auto& id : ids)
    ASSERT_TRUE(reaches(port, id, "succeeded"));
  EXPECT_EQ(up_.requests(), 4u);
}

TEST_F(TasksTest, RunsAMessageToAnActorAndKeepsIdempotencyKeys) {
  auto node = start();
  auto port = node->port();
  json body{{"actor", "memory"},
            {"type", "bsm.v1.MemoryPutRequest"},
            {"payload", {{"agent", "worker"}, {"key", "k"}, {"value", "dg=="}}},
            {"idempotency_key", "put-once"},
            {"labels", {{"team", "x"}}}};
  auto id = submit(port, body);
  ASSERT_TRUE(reaches(port, id, "succeeded")) << task(port, id).dump();
  auto res = bsm::test::post_json(port, "/v1/tasks", body.dump());
  ASSERT_TRUE(res && res->status == 202);
  EXPECT_EQ(bsm::test::body_of(*res)["task_id"], id);
  EXPECT_EQ(bsm::test::body_of(*res)["existed"], true);
  auto read = bsm::test::post_json(
    port, "/v1/actors/memory/messages",
    json{{"type", "bsm.v1.MemoryGetRequest"},
         {"mode", "ask"},
         {"payload", {{"agent", "worker"}, {"key", "k"}}}}
      .dump());
  ASSERT_TRUE(read && read->status == 200) << describe(read);
  EXPECT_EQ(bsm::test::body_of(*read)["payload"]["value"], "dg==");
  auto listed = bsm::test::get(port, "/v1/tasks?label=team%3Dx&limit=5");
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_EQ(bsm::test::body_of(*listed)["tasks"].size(), 1u);
}

TEST_F(TasksTest, RefusesBadInputClearly) {
  auto node = start();
  auto port = node->port();
  auto post = [&](const json& body) {
    return bsm::test::post_json(port, "/v1/tasks", body.dump());
  };
  auto expect = [](const bsm::test::opt_response& res, unsigned status,
                   const std::string& mentions) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_NE(res->body.find(mentions), std::string::npos) << res->body;
  };
  expect(post(json::object()), 400, "exactly one");
  expect(post({{"agent", "worker"}, {"input", "x"}, {"priority", 12}}), 400,
         "priority");
  expect(post({{"agent", "worker"}, {"input", "x"}, {"colour", "red"}}), 400,
         "colour");
  expect(post({{"agent", "nobody"}, {"input", "x"}}), 404, "nobody");
  expect(post({{"actor", "memory"},
               {"type", "bsm.v1.ReplicaWriteRequest"},
               {"payload", json::object()}}),
         400, "between nodes");
  expect(bsm::test::get(port, "/v1/tasks/t-000000000000-00000000"), 404,
         "no task");
  expect(bsm::test::get(port, "/v1/tasks/not-a-task"), 404, "no task");
  expect(bsm::test::get(port, "/v1/tasks?state=done"), 400, "state");
  expect(bsm::test::get(port, "/v1/tasks?limit=0"), 400, "limit");
}

// A budget of one model call a minute for the worker: the second task's
// turn is refused until the next minute, and the task waits for it
// (queued, saying why) instead of failing: with max_attempts 1 it still
// succeeds, in one attempt, the upstream asked once for it.
TEST_F(TasksTest, ATaskWaitsForItsBudgetToRefill) {
  up_.repeat(json_reply(200, completion("ok")));
  std::ifstream shipped{std::string{BSM_SOURCE_DIR} + "/config/node.yaml"};
  std::string yaml{std::istreambuf_iterator<char>{shipped}, {}};
  const std::string none = "  limits: []\n";
  auto at = yaml.find(none);
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, none.size(),
               "  limits:\n"
               "    - {name: worker-minute, scope: agent, match: worker,\n"
               "       requests_per_minute: 1}\n");
  auto config = dir_.path() / "budget.yaml";
  std::ofstream{config} << yaml;
  auto node = start({}, config.string());
  auto port = node->port();
  // Setup, not a claim: both tasks start early in one minute window.
  ASSERT_TRUE(bsm::test::poll_until(
    [] { return unix_now_ms() % 60'000 < 30'000; }, std::chrono::seconds{40}));
  auto first = submit(port, chat("first"));
  ASSERT_TRUE(reaches(port, first, "succeeded")) << task(port, first).dump();
  auto body = chat("second");
  body["max_attempts"] = 1;
  auto second = submit(port, body);
  ASSERT_TRUE(bsm::test::poll_until([&] {
    auto t = task(port, second);
    return t.value("state", "") == "queued"
           && t.value("error", "").find("worker-minute") != std::string::npos;
  }))
    << task(port, second).dump();
  // The window refills within a minute of the refusal.
  ASSERT_TRUE(bsm::test::poll_until(
    [&] { return task(port, second).value("state", "") == "succeeded"; },
    std::chrono::seconds{120}))
    << task(port, second).dump();
  auto done = task(port, second);
  EXPECT_EQ(done["attempts"], 1) << done.dump();
  EXPECT_EQ(done["result"], "ok");
  EXPECT_EQ(inputs(), (std::vector<std::string>{"first", "second"}));
  auto metrics = bsm::test::get(port, "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("bsm_task_deferred_total 1"), std::string::npos);
}

} // namespace
