// Durable workflows on a real bsmd (API.md, "Workflows"): definitions and
// their versions, validation errors, a DAG with a parallel branch, two
// approvals answered in reverse order across a restart, a sleep due while
// the node was down, an approval timeout, cancellation, a map with a
// parallelism limit and a child workflow. A run killed during an agent
// step and resumed is in workflows_resume_test.cpp.

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "workflows_fixture.hpp"

namespace {

using bsm::test::completion;
using bsm::test::describe;
using bsm::test::json_reply;
using bsm::test::test_node;
using bsm::test::WorkflowsTest;
using nlohmann::json;
using namespace bsm::test::workflows;

TEST_F(WorkflowsTest, ADagRunsWithAParallelBranchAndKeepsItsVersion) {
  auto node = start();
  auto port = node->port();
  json steps{ping("a", {}, "${input.n}"), ping("b", {"a"}), ping("c", {"a"}),
             ping("d", {"b", "c"}, "${steps.a.output.sequence}")};
  auto stored = put(port, "chain", steps);
  ASSERT_TRUE(stored && stored->status == 200) << describe(stored);
  auto version = bsm::test::body_of(*stored)["version"];
  // The same definition again is the same version.
  auto again = put(port, "chain", steps);
  ASSERT_TRUE(again && again->status == 200);
  EXPECT_EQ(bsm::test::body_of(*again)["version"], version);
  EXPECT_EQ(bsm::test::body_of(*again)["existed"], true);
  auto id = run(port, "chain", {{"n", 41}}, "order-41");
  ASSERT_EQ(id, "order-41");
  ASSERT_TRUE(run_reaches(port, id, "succeeded")) << get_run(port, id).dump();
  auto done = get_run(port, id);
  EXPECT_EQ(done["version"], version);
  for (const char* s : {"a", "b", "c", "d"}) {
    EXPECT_EQ(step_of(done, s)["state"], "succeeded") << done.dump();
    EXPECT_EQ(step_of(done, s)["attempts"], 1) << done.dump();
  }
  EXPECT_EQ(done["output"]["d"]["sequence"], "41") << done.dump();
  // d started after both b and c ended.
  EXPECT_GE(step_of(done, "d")["started_at"].get<int64_t>(),
            step_of(done, "b")["finished_at"].get<int64_t>());
  EXPECT_GE(step_of(done, "d")["started_at"].get<int64_t>(),
            step_of(done, "c")["finished_at"].get<int64_t>());
  // Starting the same run id again is the same run.
  auto same = bsm::test::post_json(port, "/v1/workflows/chain/runs",
                                   R"({"run_id":"order-41"})");
  ASSERT_TRUE(same && same->status == 202) << describe(same);
  EXPECT_EQ(bsm::test::body_of(*same)["existed"], true);
  auto listed = bsm::test::get(port, "/v1/runs?workflow=chain&state=succeeded");
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_EQ(bsm::test::body_of(*listed)["runs"].size(), 1u);
  auto metrics = bsm::test::get(port, "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(
    metrics->body.find("bsm_workflow_runs_total{state=\"succeeded\"} 1"),
    std::string::npos);
  EXPECT_NE(
    metrics->body.find("bsm_workflow_step_moves_total{state=\"succeeded\"} 4"),
    std::string::npos);
  EXPECT_NE(metrics->body.find("bsm_workflow_runs_running 0"),
            std::string::npos);
  auto shown = bsm::test::get(port, "/v1/workflows/chain");
  ASSERT_TRUE(shown && shown->status == 200);
  EXPECT_EQ(bsm::test::body_of(*shown)["versions"].size(), 1u);
}

TEST_F(WorkflowsTest, BadDefinitionsAreRefusedNamingTheStepAndField) {
  auto node = start();
  auto port = node->port();
  auto expect = [&](const json& steps, const std::string& mentions) {
    auto res = put(port, "bad", steps);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    EXPECT_NE(res->body.find(mentions), std::string::npos) << res->body;
  };
  expect({ping("a", {"b"}), ping("b", {"a"})}, "cycle: a -> b -> a");
  expect({ping("a", {"x"})}, "step 'a': needs: unknown step 'x'");
  expect(
    json::array(
      {{{"id", "a"}, {"type", "agent"}, {"agent", "nobody"}, {"input", "x"}}}),
    "nobody");
  expect({ping("a"), ping("b", {}, "${steps.a.output.sequence}")}, "step 'b'");
  expect(
    json::array({{{"id", "z"}, {"type", "sleep"}, {"duration", "5 minutes"}}}),
    "step 'z': duration");
  auto yaml = bsm::test::http_exchange(
    port, bsm::test::make_request("PUT", "/v1/workflows/bad",
                                  {{"Content-Type", "application/yaml"}},
                                  "name: bad\nsteps:\n  - id: a\n    type: "
                                  "sleep\n    duration: [\n"));
  ASSERT_TRUE(yaml);
  EXPECT_EQ(yaml->status, 400) << yaml->body;
  auto missing = bsm::test::post_json(port, "/v1/workflows/none/runs", "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << missing->body;
  EXPECT_EQ(bsm::test::get(port, "/v1/runs/nothing-here")->status, 404);
}

TEST_F(WorkflowsTest, ParallelApprovalsAnsweredInReverseOrderAcrossARestart) {
  std::string id;
  {
    auto node = start();
    define(node->port(), "contract",
           {approval("legal"), approval("security"),
            ping("record", {"legal", "security"})});
    id = run(node->port(), "contract", {{"doc", "c-42"}});
    ASSERT_TRUE(step_reaches(node->port(), id, "legal", "waiting"));
    ASSERT_TRUE(step_reaches(node->port(), id, "security", "waiting"));
    auto prompt = step_of(get_run(node->port(), id), "legal")["output"];
    EXPECT_EQ(prompt["prompt"], "Approve c-42?");
    auto sec = signal(node->port(), id, "security", "approve");
    ASSERT_TRUE(sec && sec->status == 200) << describe(sec);
    node->kill();
  }
  auto node = start();
  auto port = node->port();
  EXPECT_EQ(step_of(get_run(port, id), "legal")["state"], "waiting");
  EXPECT_EQ(step_of(get_run(port, id), "security")["state"], "succeeded");
  auto legal = signal(port, id, "legal", "approve");
  ASSERT_TRUE(legal && legal->status == 200) << describe(legal);
  ASSERT_TRUE(run_reaches(port, id, "succeeded")) << get_run(port, id).dump();
  // The same answer again is the same; another answer is refused.
  auto same = signal(port, id, "legal", "approve");
  ASSERT_TRUE(same && same->status == 200) << describe(same);
  EXPECT_EQ(bsm::test::body_of(*same)["existed"], true);
  auto other = signal(port, id, "legal", "reject");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 400) << other->body;
  auto unknown = signal(port, id, "nobody", "approve");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
}

TEST_F(WorkflowsTest, ASleepDueWhileTheNodeWasDownFiresAtStart) {
  std::string id;
  int64_t due = 0;
  {
    auto node = start();
    define(node->port(), "nap",
           {{{"id", "nap"}, {"type", "sleep"}, {"duration", "2s"}},
            ping("after", {"nap"})});
    id = run(node->port(), "nap");
    ASSERT_TRUE(step_reaches(node->port(), id, "nap", "waiting"));
    due = step_of(get_run(node->port(), id), "nap")["wake_at"].get<int64_t>();
    node->kill();
  }
  // Setup, not a claim: the node stays down past the sleep's end.
  ASSERT_TRUE(bsm::test::poll_until([&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count()
           > due;
  }));
  auto node = start();
  ASSERT_TRUE(run_reaches(node->port(), id, "succeeded"))
    << get_run(node->port(), id).dump();
}

TEST_F(WorkflowsTest, AnApprovalTimeoutTakesItsDefault) {
  auto node = start();
  auto port = node->port();
  define(port, "lazy",
         {approval("ok", {{"timeout", "1s"}, {"default", "approve"}}),
          approval("no", {{"timeout", "2s"}, {"default", "reject"}})});
  auto id = run(port, "lazy", {{"doc", "d"}});
  ASSERT_TRUE(run_reaches(port, id, "failed")) << get_run(port, id).dump();
  auto done = get_run(port, id);
  EXPECT_EQ(step_of(done, "ok")["state"], "succeeded");
  EXPECT_EQ(step_of(done, "ok")["output"]["timed_out"], true);
  EXPECT_EQ(step_of(done, "no")["state"], "failed");
  EXPECT_NE(done.value("error", "").find("rejected by default"),
            std::string::npos)
    << done.dump();
}

TEST_F(WorkflowsTest, CancellingARunCancelsItsRunningStep) {
  up_.push_held(json_reply(200, completion("too late")));
  auto node = start();
  auto port = node->port();
  define(port, "slow",
         {agent("think", "think hard"), ping("after", {"think"})});
  auto id = run(port, "slow");
  ASSERT_TRUE(step_reaches(port, id, "think", "running"));
  ASSERT_TRUE(bsm::test::poll_until([&] {
    return !step_of(get_run(port, id), "think").value("task_id", "").empty();
  }));
  auto task_id
    = step_of(get_run(port, id), "think")["task_id"].get<std::string>();
  auto cancelled
    = bsm::test::post_json(port, "/v1/runs/" + id + "/cancel", "{}");
  ASSERT_TRUE(cancelled && cancelled->status == 200) << describe(cancelled);
  EXPECT_EQ(bsm::test::body_of(*cancelled)["state"], "cancelled");
  auto done = get_run(port, id);
  EXPECT_EQ(step_of(done, "think")["state"], "cancelled");
  EXPECT_EQ(step_of(done, "after")["state"], "cancelled");
  EXPECT_TRUE(bsm::test::poll_until([&] {
    auto t = bsm::test::get(port, "/v1/tasks/" + task_id);
    return t && bsm::test::body_of(*t).value("state", "") == "cancelled";
  }));
  up_.release();
  auto again = bsm::test::post_json(port, "/v1/runs/" + id + "/cancel", "{}");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400) << again->body;
}

TEST_F(WorkflowsTest, AMapAndAChildWorkflow) {
  auto node = start();
  auto port = node->port();
  define(port, "child", {ping("echo", {}, "${input.n}")});
  define(port, "parent",
         {{{"id", "each"},
           {"type", "map"},
           {"over", "${input.ns}"},
           {"parallelism", 2},
           {"step",
            {{"type", "message"},
             {"actor", "node_info"},
             {"message", "bsm.v1.PingRequest"},
             {"payload", {{"sequence", "${item}"}}}}}},
          {{"id", "sub"},
           {"type", "workflow"},
           {"workflow", "child"},
           {"needs", {"each"}},
           {"input", {{"n", "${steps.each.output[2].sequence}"}}}}});
  auto id = run(port, "parent", {{"ns", {1, 2, 3, 4, 5}}});
  ASSERT_TRUE(run_reaches(port, id, "succeeded")) << get_run(port, id).dump();
  auto done = get_run(port, id);
  auto each = step_of(done, "each")["output"];
  ASSERT_EQ(each.size(), 5u) << done.dump();
  EXPECT_EQ(each[4]["sequence"], "5");
  EXPECT_EQ(step_of(done, "sub")["child_run_id"], id + ".sub");
  EXPECT_EQ(step_of(done, "sub")["output"]["echo"]["sequence"], "3")
    << done.dump();
  auto child = get_run(port, id + ".sub");
  EXPECT_EQ(child["parent_run_id"], id);
  EXPECT_EQ(child["state"], "succeeded");
}

// The shipped examples (config/workflows/), loaded from workflows.paths at
// start, run end to end on the seed agents and the local model.
TEST(WorkflowExamples, RunEndToEndOnTheLocalProvider) {
  bsm::test::temp_dir dir;
  test_node node{
    dir.path(),
    dir.path() / "data",
    {std::string{"workflows.paths=["} + BSM_SOURCE_DIR + "/config/workflows]"}};
  auto port = node.port();
  ASSERT_NE(port, 0) << node.proc().err();
  auto listed = bsm::test::get(port, "/v1/workflows");
  ASSERT_TRUE(listed && listed->status == 200) << describe(listed);
  EXPECT_EQ(bsm::test::body_of(*listed)["workflows"].size(), 3u)
    << listed->body;
  auto start = [&](const std::string& name, const json& input) {
    auto res = bsm::test::post_json(port, "/v1/workflows/" + name + "/runs",
                                    json{{"input", input}}.dump());
    EXPECT_TRUE(res && res->status == 202) << describe(res);
    return res ? bsm::test::body_of(*res).value("run_id", "") : "";
  };
  auto state_of = [&](const std::string& id) {
    auto res = bsm::test::get(port, "/v1/runs/" + id);
    return res && res->status == 200 ? bsm::test::body_of(*res) : json{};
  };
  auto approve_when_waiting
    = [&](const std::string& id, const std::string& step) {
        ASSERT_TRUE(bsm::test::poll_until([&] {
          auto run = state_of(id);
          if (run.contains("steps"))
            for (const auto& s : run["steps"])
              if (s.value("id", "") == step)
                return s.value("state", "") == "waiting";
          return false;
        }))
          << state_of(id).dump();
        auto res = bsm::test::post_json(
          port, "/v1/runs/" + id + "/signals/" + step,
          R"({"payload":{"decision":"approve","by":"test"}})");
        ASSERT_TRUE(res && res->status == 200) << describe(res);
      };
  auto ends = [&](const std::string& id) {
    return bsm::test::poll_until(
      [&] { return state_of(id).value("state", "") == "succeeded"; });
  };
  auto contract = start("contract-review", {{"contract", "c-42"}});
  approve_when_waiting(contract, "sign_off");
  ASSERT_TRUE(ends(contract)) << state_of(contract).dump();
  EXPECT_EQ(state_of(contract)["output"]["decision"], "approve");
  auto deploy = start("deployment-readiness", {{"change", "bsmd 0.2"}});
  ASSERT_TRUE(ends(deploy)) << state_of(deploy).dump();
  auto retrain = start("ml-retrain", {{"dataset", "intents-v3"}});
  approve_when_waiting(retrain, "approve");
  ASSERT_TRUE(ends(retrain)) << state_of(retrain).dump();
}

} // namespace
