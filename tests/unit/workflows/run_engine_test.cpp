// The run engine without actors: the orders it gives for a definition as
// steps' tasks end, signals come and timers fire, and what a run loaded
// from its records does again (workflows/run_engine.hpp).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "workflows/run_engine.hpp"

namespace {

using namespace bsm::workflows;
using bsm::v1::RunRecord;
using bsm::v1::StepRecord;
using bsm::v1::TaskRecord;
using nlohmann::json;
using kind = run_order::kind;

constexpr int64_t t0 = 1'000'000;

// A message step asking `actor` with `payload`.
json message(const std::string& id, std::vector<std::string> needs = {},
             json payload = json::object()) {
  return {{"id", id},
          {"type", "message"},
          {"needs", needs},
          {"actor", "echo"},
          {"message", "bsm.v1.PingRequest"},
          {"payload", payload}};
}

class engine_fixture {
public:
  explicit engine_fixture(json body, json input = json::object()) {
    body["name"] = "wf";
    auto def = parse_definition(body);
    EXPECT_TRUE(def) << bsm::render(def.error());
    def_ = std::make_shared<const workflow_definition>(std::move(*def));
    RunRecord run;
    run.set_run_id("r1");
    run.set_workflow("wf");
    run.set_state(bsm::v1::RUN_STATE_RUNNING);
    run.set_input_json(input.dump());
    run.mutable_started_by()->set_name("alice");
    engine = make(run, {});
  }

  std::unique_ptr<run_engine> make(const RunRecord& run,
                                   const std::vector<StepRecord>& steps) {
    auto graph = workflow_graph::make(*def_);
    EXPECT_TRUE(graph) << bsm::render(graph.error());
    return std::make_unique<run_engine>(def_, std::move(*graph), run, steps);
  }

  // A copy of the engine as a reload from its records would make it.
  std::unique_ptr<run_engine> reload() {
    std::vector<StepRecord> steps;
    for (const auto& [id, s] : engine->steps())
      steps.push_back(s);
    return make(engine->run(), steps);
  }

  // The task of a submit order, ended as `state` with `result`.
  static TaskRecord ended(const run_order& order, const std::string& task_id,
                          bsm::v1::TaskState state,
                          const std::string& result = "{}") {
    TaskRecord rec;
    rec.set_task_id(task_id);
    *rec.mutable_spec() = order.task.spec();
    rec.set_state(state);
    rec.set_attempts(1);
    if (state == bsm::v1::TASK_STATE_SUCCEEDED)
      rec.set_result(result);
    else
      rec.set_error("it broke");
    return rec;
  }

  std::unique_ptr<run_engine> engine;

private:
  std::shared_ptr<const workflow_definition> def_;
};

std::vector<std::string> steps_of(const run_change& c, kind what) {
  std::vector<std::string> result;
  for (const auto& o : c.orders)
    if (o.what == what)
      result.push_back(o.step_id);
  return result;
}

const run_order& order_of(const run_change& c, const std::string& step) {
  for (const auto& o : c.orders)
    if (o.step_id == step)
      return o;
  throw std::runtime_error("no order for " + step);
}

std::string state(const run_engine& e, const std::string& step) {
  auto i = e.steps().find(step);
  return i == e.steps().end() ? "none" : step_state_name(i->second.state());
}

using strings = std::vector<std::string>;

TEST(WorkflowRunEngine, RunsADiamondInDependencyOrderWithParallelBranches) {
  engine_fixture f{
    {{"steps",
      {message("a"), message("b", {"a"}), message("c", {"a"}),
       message("d", {"b", "c"}, {{"payload", "${steps.b.output.n}"}})}}}};
  auto first = f.engine->advance(t0);
  ASSERT_EQ(steps_of(first, kind::submit_task), strings{"a"});
  const auto& a = order_of(first, "a");
  EXPECT_EQ(a.task.spec().idempotency_key(), "wf:r1:a");
  EXPECT_EQ(a.task.spec().notify(), "workflows");
  EXPECT_EQ(a.task.caller().name(), "alice");
  EXPECT_EQ(a.task.spec().labels().at("step"), "a");
  auto second = f.engine->on_task(
    engine_fixture::ended(a, "t-a", bsm::v1::TASK_STATE_SUCCEEDED), t0 + 1);
  EXPECT_EQ(steps_of(second, kind::submit_task), (strings{"b", "c"}));
  auto b = order_of(second, "b");
  auto c = order_of(second, "c");
  auto after_b = f.engine->on_task(
    engine_fixture::ended(b, "t-b", bsm::v1::TASK_STATE_SUCCEEDED,
                          R"({"n":7})"),
    t0 + 2);
  EXPECT_TRUE(steps_of(after_b, kind::submit_task).empty());
  auto after_c = f.engine->on_task(
    engine_fixture::ended(c, "t-c", bsm::v1::TASK_STATE_SUCCEEDED), t0 + 3);
  ASSERT_EQ(steps_of(after_c, kind::submit_task), strings{"d"});
  EXPECT_EQ(order_of(after_c, "d").input, (json{{"payload", 7}}));
  EXPECT_FALSE(f.engine->finished());
  auto end = f.engine->on_task(
    engine_fixture::ended(order_of(after_c, "d"), "t-d",
                          bsm::v1::TASK_STATE_SUCCEEDED, R"({"done":true})"),
    t0 + 4);
  EXPECT_TRUE(end.run_changed);
  EXPECT_EQ(f.engine->run().state(), bsm::v1::RUN_STATE_SUCCEEDED);
  auto output = json::parse(f.engine->run().output_json());
  EXPECT_EQ(output["d"], (json{{"done", true}}));
  EXPECT_EQ(output["b"], (json{{"n", 7}}));
}

TEST(WorkflowRunEngine, AFalseWhenSkipsTheStepAndItsDependentsStillRun) {
  engine_fixture f{{{"steps",
                     {message("a"),
                      {{"id", "b"},
                       {"type", "message"},
                       {"needs", {"a"}},
                       {"when", "input.go == true"},
                       {"actor", "echo"},
                       {"message", "bsm.v1.PingRequest"}},
                      message("c", {"b"})}}},
                   {{"go", false}}};
  auto first = f.engine->advance(t0);
  auto next
    = f.engine->on_task(engine_fixture::ended(order_of(first, "a"), "t-a",
                                              bsm::v1::TASK_STATE_SUCCEEDED),
                        t0 + 1);
  EXPECT_EQ(state(*f.engine, "b"), "skipped");
  EXPECT_EQ(steps_of(next, kind::submit_task), strings{"c"});
}

TEST(WorkflowRunEngine, AFailedStepCancelsItsRunningSiblingsAndFailsTheRun) {
  engine_fixture f{
    {{"steps", {message("a"), message("b"), message("c", {"a", "b"})}}}};
  auto first = f.engine->advance(t0);
  ASSERT_EQ(steps_of(first, kind::submit_task), (strings{"a", "b"}));
  f.engine->on_submitted("b", "t-b", t0);
  auto failed
    = f.engine->on_task(engine_fixture::ended(order_of(first, "a"), "t-a",
                                              bsm::v1::TASK_STATE_DEAD),
                        t0 + 1);
  ASSERT_EQ(steps_of(failed, kind::cancel_task), strings{"b"});
  EXPECT_EQ(order_of(failed, "b").id, "t-b");
  EXPECT_EQ(state(*f.engine, "b"), "cancelled");
  EXPECT_EQ(state(*f.engine, "c"), "skipped");
  EXPECT_EQ(f.engine->run().state(), bsm::v1::RUN_STATE_FAILED);
  EXPECT_EQ(f.engine->run().error(), "step 'a': it broke");
  // The cancelled task's own end changes nothing any more.
  auto late
    = f.engine->on_task(engine_fixture::ended(order_of(first, "b"), "t-b",
                                              bsm::v1::TASK_STATE_CANCELLED),
                        t0 + 2);
  EXPECT_TRUE(late.empty());
}

TEST(WorkflowRunEngine, ContinueAndCompensationPolicies) {
  auto b = message("b", {"a"});
  b["on_failure"] = "compensate";
  b["compensation"] = "undo";
  auto a = message("a");
  a["on_failure"] = "continue";
  engine_fixture f{{{"steps", {a, b, message("undo")}}}};
  auto first = f.engine->advance(t0);
  ASSERT_EQ(steps_of(first, kind::submit_task), strings{"a"});
  auto after_a
    = f.engine->on_task(engine_fixture::ended(order_of(first, "a"), "t-a",
                                              bsm::v1::TASK_STATE_DEAD),
                        t0 + 1);
  // A failure that continues: b runs.
  ASSERT_EQ(steps_of(after_a, kind::submit_task), strings{"b"});
  auto after_b
    = f.engine->on_task(engine_fixture::ended(order_of(after_a, "b"), "t-b",
                                              bsm::v1::TASK_STATE_DEAD),
                        t0 + 2);
  ASSERT_EQ(steps_of(after_b, kind::submit_task), strings{"undo"});
  EXPECT_FALSE(f.engine->finished());
  f.engine->on_task(engine_fixture::ended(order_of(after_b, "undo"), "t-u",
                                          bsm::v1::TASK_STATE_SUCCEEDED),
                    t0 + 3);
  EXPECT_EQ(f.engine->run().state(), bsm::v1::RUN_STATE_FAILED);
  EXPECT_EQ(f.engine->run().error(), "step 'b': it broke");
  EXPECT_EQ(state(*f.engine, "undo"), "succeeded");
}

TEST(WorkflowRunEngine, ASleepWaitsForItsTimerAlsoAfterAReload) {
  engine_fixture f{{{"steps",
                     {{{"id", "nap"}, {"type", "sleep"}, {"duration", "5m"}},
                      message("after", {"nap"})}}}};
  auto first = f.engine->advance(t0);
  ASSERT_EQ(steps_of(first, kind::wake_at), strings{"nap"});
  EXPECT_EQ(order_of(first, "nap").at, t0 + 300'000);
  EXPECT_EQ(state(*f.engine, "nap"), "waiting");
  EXPECT_EQ(f.engine->next_wake(), t0 + 300'000);
  EXPECT_TRUE(
    steps_of(f.engine->on_timer(t0 + 1000), kind::submit_task).empty());
  // Down past its time: the reloaded run arms the timer again, which fires
  // at once.
  auto again = f.reload();
  auto resumed = again->advance(t0 + 400'000);
  ASSERT_EQ(steps_of(resumed, kind::wake_at), strings{"nap"});
  auto woke = again->on_timer(t0 + 400'000);
  EXPECT_EQ(steps_of(woke, kind::submit_task), strings{"after"});
}

json approval(const std::string& id, json extra = json::object()) {
  json step{{"id", id}, {"type", "approval"}, {"prompt", "Sign ${input.doc}?"}};
  step.update(extra);
  return step;
}

TEST(WorkflowRunEngine, ParallelApprovalsResumeIndependentlyInAnyOrder) {
  engine_fixture f{{{"steps",
                     {approval("legal"), approval("security"),
                      message("record", {"legal", "security"})}}},
                   {{"doc", "c-42"}}};
  f.engine->advance(t0);
  EXPECT_EQ(state(*f.engine, "legal"), "waiting");
  EXPECT_EQ(json::parse(f.engine->steps().at("legal").output_json())["prompt"],
            "Sign c-42?");
  bool existed = false;
  auto sec = f.engine->on_signal("security", {{"decision", "approve"}}, t0 + 1,
                                 existed);
  ASSERT_TRUE(sec);
  EXPECT_FALSE(existed);
  EXPECT_TRUE(steps_of(*sec, kind::submit_task).empty());
  // Answered across a reload.
  f.engine = f.reload();
  f.engine->advance(t0 + 2);
  auto legal = f.engine->on_signal(
    "legal", {{"decision", "approve"}, {"by", "bob"}}, t0 + 3, existed);
  ASSERT_TRUE(legal);
  EXPECT_EQ(steps_of(*legal, kind::submit_task), strings{"record"});
  auto out = json::parse(f.engine->steps().at("legal").output_json());
  EXPECT_EQ(out["payload"]["by"], "bob");
  // The same signal again is the same; another answer is refused.
  auto same
    = f.engine->on_signal("legal", {{"decision", "approve"}}, t0 + 4, existed);
  ASSERT_TRUE(same);
  EXPECT_TRUE(existed);
  EXPECT_TRUE(same->empty());
  auto other
    = f.engine->on_signal("legal", {{"decision", "reject"}}, t0 + 5, existed);
  ASSERT_FALSE(other);
  EXPECT_TRUE(bsm::is(other.error(), bsm::errc::failed_precondition));
  auto unknown
    = f.engine->on_signal("nobody", {{"decision", "approve"}}, t0, existed);
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(bsm::is(unknown.error(), bsm::errc::not_found));
  auto bad = f.engine->on_signal("legal", {{"ok", true}}, t0, existed);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bsm::is(bad.error(), bsm::errc::invalid_argument));
}

TEST(WorkflowRunEngine, AnApprovalTimeoutTakesItsDefaultOrFails) {
  engine_fixture f{
    {{"steps",
      {approval("yes", {{"timeout", "1h"}, {"default", "approve"}}),
       approval("never", {{"timeout", "2h"}})}}}};
  auto first = f.engine->advance(t0);
  EXPECT_EQ(steps_of(first, kind::wake_at), (strings{"yes", "never"}));
  f.engine->on_timer(t0 + 3'600'000);
  EXPECT_EQ(state(*f.engine, "yes"), "succeeded");
  EXPECT_EQ(json::parse(f.engine->steps().at("yes").output_json())["timed_out"],
            true);
  f.engine->on_timer(t0 + 7'200'000);
  EXPECT_EQ(state(*f.engine, "never"), "failed");
  EXPECT_EQ(f.engine->run().state(), bsm::v1::RUN_STATE_FAILED);
}

TEST(WorkflowRunEngine, AMapKeepsItsParallelismAndCollectsOutputsInOrder) {
  engine_fixture f{{{"steps",
                     {{{"id", "each"},
                       {"type", "map"},
                       {"over", "${input.xs}"},
                       {"parallelism", 2},
                       {"step",
                        {{"type", "message"},
                         {"actor", "echo"},
                         {"message", "bsm.v1.PingRequest"},
                         {"payload", {{"sequence", "${item}"}}}}}}}}},
                   {{"xs", {"a", "b", "c", "d", "e"}}}};
  auto change = f.engine->advance(t0);
  ASSERT_EQ(steps_of(change, kind::submit_task),
            (strings{"each[0]", "each[1]"}));
  EXPECT_EQ(order_of(change, "each[1]").input, (json{{"sequence", "b"}}));
  std::vector<run_order> running{order_of(change, "each[0]"),
                                 order_of(change, "each[1]")};
  std::vector<std::string> started{"each[0]", "each[1]"};
  int64_t now = t0;
  while (!running.empty()) {
    auto o = running.front();
    running.erase(running.begin());
    auto n = o.step_id.substr(5, 1);
    auto next = f.engine->on_task(
      engine_fixture::ended(o, "t-" + n, bsm::v1::TASK_STATE_SUCCEEDED,
                            R"({"n":")" + n + "\"}"),
      ++now);
    for (const auto& x : next.orders)
      if (x.what == kind::submit_task) {
        running.push_back(x);
        started.push_back(x.step_id);
      }
    size_t active = 0;
    for (const auto& [id, s] : f.engine->steps())
      active += id.rfind("each[", 0) == 0
                && s.state() == bsm::v1::STEP_STATE_RUNNING;
    EXPECT_LE(active, 2u);
  }
  EXPECT_EQ(started.size(), 5u);
  EXPECT_EQ(state(*f.engine, "each"), "succeeded");
  auto out = json::parse(f.engine->steps().at("each").output_json());
  EXPECT_EQ(
    out, json::parse(R"([{"n":"0"},{"n":"1"},{"n":"2"},{"n":"3"},{"n":"4"}])"));
}

TEST(WorkflowRunEngine, AMapOverSomethingThatIsNotAListFails) {
  engine_fixture f{{{"steps",
                     {{{"id", "each"},
                       {"type", "map"},
                       {"over", "${input.xs}"},
                       {"step", {{"type", "sleep"}, {"duration", "1s"}}}}}}},
                   {{"xs", "abc"}}};
  f.engine->advance(t0);
  EXPECT_EQ(state(*f.engine, "each"), "failed");
  EXPECT_EQ(f.engine->steps().at("each").error(),
            "over: not a list but string");
}

TEST(WorkflowRunEngine, AReloadedRunGivesTheRunningStepsOrdersAgainOnly) {
  engine_fixture f{{{"steps", {message("a"), message("b", {"a"})}}}};
  auto first = f.engine->advance(t0);
  auto second = f.engine->on_task(
    engine_fixture::ended(order_of(first, "a"), "t-a",
                          bsm::v1::TASK_STATE_SUCCEEDED, R"({"k":1})"),
    t0 + 1);
  auto b_order = order_of(second, "b");
  // kill -9 here: a is done (its output kept), b was submitted.
  auto again = f.reload();
  auto resumed = again->advance(t0 + 10);
  ASSERT_EQ(steps_of(resumed, kind::submit_task), strings{"b"});
  EXPECT_EQ(order_of(resumed, "b").task.spec().idempotency_key(),
            b_order.task.spec().idempotency_key());
  EXPECT_EQ(json::parse(again->steps().at("a").output_json()),
            (json{{"k", 1}}));
}

TEST(WorkflowRunEngine, ATasksIdIsWrittenWithItsStepsNextMove) {
  engine_fixture f{{{"steps", {message("a")}}}};
  auto first = f.engine->advance(t0);
  auto submitted = f.engine->on_submitted("a", "t-a", t0);
  EXPECT_TRUE(submitted.steps.empty());
  EXPECT_FALSE(submitted.run_changed);
  EXPECT_EQ(f.engine->steps().at("a").task_id(), "t-a");
  auto done
    = f.engine->on_task(engine_fixture::ended(order_of(first, "a"), "t-a",
                                              bsm::v1::TASK_STATE_SUCCEEDED),
                        t0 + 1);
  ASSERT_EQ(done.steps.size(), 1u);
  EXPECT_EQ(done.steps[0].task_id(), "t-a");
  EXPECT_EQ(done.steps[0].state(), bsm::v1::STEP_STATE_SUCCEEDED);
}

TEST(WorkflowRunEngine, CancellingCancelsRunningTasksAndChildRuns) {
  engine_fixture f{
    {{"steps",
      {message("a"),
       {{"id", "child"}, {"type", "workflow"}, {"workflow", "other"}},
       message("b", {"a"})}}}};
  auto first = f.engine->advance(t0);
  ASSERT_EQ(steps_of(first, kind::start_child), strings{"child"});
  EXPECT_EQ(order_of(first, "child").id, "r1.child");
  f.engine->on_submitted("a", "t-a", t0);
  auto cancelled = f.engine->cancel(t0 + 1);
  EXPECT_EQ(steps_of(cancelled, kind::cancel_task), strings{"a"});
  EXPECT_EQ(steps_of(cancelled, kind::cancel_child), strings{"child"});
  EXPECT_EQ(state(*f.engine, "b"), "cancelled");
  EXPECT_EQ(f.engine->run().state(), bsm::v1::RUN_STATE_CANCELLED);
  EXPECT_TRUE(f.engine->cancel(t0 + 2).empty());
}

TEST(WorkflowRunEngine, AChildRunsOutputIsItsStepsOutput) {
  engine_fixture f{{{"steps",
                     {{{"id", "child"},
                       {"type", "workflow"},
                       {"workflow", "other"},
                       {"input", {{"x", "${input.x}"}}}}}}},
                   {{"x", 3}}};
  auto first = f.engine->advance(t0);
  EXPECT_EQ(order_of(first, "child").input, (json{{"x", 3}}));
  RunRecord child;
  child.set_run_id("r1.child");
  child.set_state(bsm::v1::RUN_STATE_SUCCEEDED);
  child.set_output_json(R"({"y":4})");
  f.engine->on_child(child, t0 + 1);
  EXPECT_EQ(f.engine->run().state(), bsm::v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(json::parse(f.engine->run().output_json())["child"],
            (json{{"y", 4}}));
}

TEST(WorkflowRunEngine, ShownStepsIncludeThoseNotStartedYetAsPending) {
  engine_fixture f{{{"steps",
                     {message("b"), message("a", {"b"}),
                      message("c", {"a"}, {{"n", "${steps.b.output.n}"}})}}}};
  f.engine->advance(t0);
  f.engine->on_submitted("b", "t-b", t0);
  // Only the started step has a record; the others are shown pending.
  EXPECT_EQ(f.engine->steps().size(), 1u);
  auto shown = f.engine->shown_steps();
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0].step_id(), "a");
  EXPECT_EQ(shown[0].state(), bsm::v1::STEP_STATE_PENDING);
  EXPECT_EQ(shown[0].run_id(), "r1");
  EXPECT_EQ(shown[0].started_unix_ms(), 0);
  EXPECT_EQ(shown[1].step_id(), "b");
  EXPECT_EQ(shown[1].state(), bsm::v1::STEP_STATE_RUNNING);
  EXPECT_EQ(shown[1].task_id(), "t-b");
  EXPECT_EQ(shown[2].step_id(), "c");
  EXPECT_EQ(shown[2].state(), bsm::v1::STEP_STATE_PENDING);
  // Showing writes nothing: the records are as they were.
  EXPECT_EQ(f.engine->steps().size(), 1u);
}

TEST(WorkflowRunEngine, ARunIdIsTheSameRunOnlyForItsWorkflowAndParent) {
  RunRecord run;
  run.set_run_id("r1");
  run.set_workflow("wf");
  EXPECT_FALSE(same_run(run, "wf", ""));
  auto other = same_run(run, "other", "");
  EXPECT_TRUE(bsm::is(other, bsm::errc::already_exists));
  EXPECT_NE(bsm::render(other).find("run 'r1' is a run of workflow 'wf'"),
            std::string::npos)
    << bsm::render(other);
  // A child run's id is not a run of its own, nor another parent's child.
  EXPECT_NE(bsm::render(same_run(run, "wf", "p")).find("not a child run"),
            std::string::npos);
  run.set_parent_run_id("p");
  EXPECT_FALSE(same_run(run, "wf", "p"));
  EXPECT_NE(bsm::render(same_run(run, "wf", "")).find("a child run of 'p'"),
            std::string::npos);
  EXPECT_NE(bsm::render(same_run(run, "wf", "q")).find("a child run of 'p'"),
            std::string::npos);
}

TEST(WorkflowRunEngine, OutputsOfTasks) {
  TaskRecord agent;
  agent.mutable_spec()->set_agent("legal");
  agent.set_result(R"({"verdict":"ok"})");
  EXPECT_EQ(output_of_task(agent), (json{{"verdict", "ok"}}));
  agent.set_result("plain words");
  EXPECT_EQ(output_of_task(agent), "plain words");
  TaskRecord tool;
  tool.mutable_spec()->set_actor("tools");
  tool.mutable_spec()->set_type_name("bsm.v1.ToolCallRequest");
  tool.set_result(R"({"content":"[1,2]"})");
  EXPECT_EQ(output_of_task(tool), json::parse("[1,2]"));
}

} // namespace
