// Durable workflows on a real bsmd, continued (API.md, "Workflows";
// WORKFLOWS.md): a five-step run with a parallel branch killed during its
// third step ends as an uninterrupted run of the same definition does;
// retries, compensation and on_failure continue; a new version during a
// run; the same run id started twice. The scripted upstream answers each
// agent step by its input, so parallel steps are told apart and counted.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "workflows_fixture.hpp"

namespace {

using bsm::test::completion;
using bsm::test::describe;
using bsm::test::error_body;
using bsm::test::json_reply;
using bsm::test::WorkflowsTest;
using nlohmann::json;
using namespace bsm::test::workflows;

// a -> {b, c} -> d -> e: each step's input says what it read, and the
// upstream answers it by that text (the inputs below, for doc "c-9").
json five_steps() {
  return {
    agent("a", "list ${input.doc}"),
    agent("b", "check ${steps.a.output.items[0]}", {"a"}),
    agent("c", "check ${steps.a.output.items[1]}", {"a"}),
    agent("d", "merge ${steps.b.output} and ${steps.c.output}", {"b", "c"}),
    agent("e", "sign ${steps.d.output.merged}", {"d"})};
}

// Each step's input as the upstream sees it (answer_of() gives its answer).
const std::map<std::string, std::string>& five_inputs() {
  static const std::map<std::string, std::string> answers{
    {"a", "list c-9"},
    {"b", "check x-1"},
    {"c", "check x-2"},
    {"d", "merge b fine and c fine"},
    {"e", "sign both fine"}};
  return answers;
}

std::string answer_of(const std::string& step) {
  if (step == "a")
    return R"({"items":["x-1","x-2"]})";
  if (step == "d")
    return R"({"merged":"both fine"})";
  if (step == "e")
    return "signed";
  return step + " fine";
}

json with(json step, const json& extra) {
  step.update(extra);
  return step;
}

TEST_F(WorkflowsTest, AParallelRunKilledDuringItsThirdStepEndsAsAnUncutOne) {
  // How often the upstream was asked for each of the five steps.
  auto counts = [this] {
    std::map<std::string, size_t> out;
    for (const auto& [step, input] : five_inputs())
      out[step] = asked(input);
    return out;
  };
  // The uninterrupted run first, then the one cut: c's first answer never
  // comes (the node dies waiting), its second does.
  for (const auto& [step, input] : five_inputs())
    up_.push_for(input, json_reply(200, completion(answer_of(step))));
  for (const auto& [step, input] : five_inputs()) {
    auto reply = json_reply(200, completion(answer_of(step)));
    if (step == "c")
      up_.push_held_for(input, reply);
    up_.push_for(input, reply);
  }
  json uncut;
  std::string id = "cut-1";
  std::string c_task;
  int64_t a_done = 0;
  int64_t b_done = 0;
  {
    auto node = start();
    auto port = node->port();
    define(port, "five", five_steps());
    auto first = run(port, "five", {{"doc", "c-9"}}, "uncut-1");
    ASSERT_TRUE(run_reaches(port, first, "succeeded"))
      << get_run(port, first).dump();
    uncut = get_run(port, first);
    for (const auto& [step, n] : counts())
      ASSERT_EQ(n, 1u) << step;
    ASSERT_EQ(run(port, "five", {{"doc", "c-9"}}, id), id);
    ASSERT_TRUE(step_reaches(port, id, "b", "succeeded"));
    ASSERT_TRUE(step_reaches(port, id, "c", "running"));
    // The third step's turn is at the upstream when the node dies.
    ASSERT_TRUE(
      bsm::test::poll_until([&] { return asked(five_inputs().at("c")) == 2; }));
    auto cut = get_run(port, id);
    c_task = step_of(cut, "c").value("task_id", "");
    ASSERT_FALSE(c_task.empty()) << cut.dump();
    a_done = step_of(cut, "a")["finished_at"].get<int64_t>();
    b_done = step_of(cut, "b")["finished_at"].get<int64_t>();
    EXPECT_EQ(step_of(cut, "d")["state"], "pending") << cut.dump();
    node->kill();
  }
  auto node = start();
  auto port = node->port();
  ASSERT_TRUE(run_reaches(port, id, "succeeded")) << get_run(port, id).dump();
  auto done = get_run(port, id);
  EXPECT_EQ(done["output"], uncut["output"]) << done.dump();
  EXPECT_EQ(done["version"], uncut["version"]);
  // Done steps were not run again: asked once in each run, their records
  // as they were before the kill.
  auto n = counts();
  EXPECT_EQ(n["a"], 2u);
  EXPECT_EQ(n["b"], 2u);
  EXPECT_EQ(n["d"], 2u);
  EXPECT_EQ(n["e"], 2u);
  EXPECT_EQ(step_of(done, "a")["finished_at"], a_done);
  EXPECT_EQ(step_of(done, "b")["finished_at"], b_done);
  for (const char* s : {"a", "b", "c", "d", "e"}) {
    EXPECT_EQ(step_of(done, s)["state"], "succeeded") << done.dump();
    EXPECT_EQ(step_of(done, s)["attempts"], 1) << s << ": " << done.dump();
  }
  // The cut step was asked again, by the same task (found by its key) and
  // the same attempt, so its turn is in one session once.
  EXPECT_EQ(n["c"], 3u);
  EXPECT_EQ(step_of(done, "c")["task_id"], c_task);
  auto task = bsm::test::get(port, "/v1/tasks/" + c_task);
  ASSERT_TRUE(task && task->status == 200) << describe(task);
  auto session = bsm::test::body_of(*task).value("session_id", "");
  ASSERT_FALSE(session.empty()) << task->body;
  auto turns = bsm::test::get(port, "/v1/agents/worker/sessions/" + session);
  ASSERT_TRUE(turns && turns->status == 200) << describe(turns);
  auto held = bsm::test::body_of(*turns)["turns"];
  ASSERT_EQ(held.size(), 2u) << turns->body;
  EXPECT_EQ(held[0]["content"], five_inputs().at("c"));
  EXPECT_EQ(held[1]["content"], "c fine");
  // Ten turns in all, one session each: none appended twice.
  auto sessions = bsm::test::get(port, "/v1/agents/worker/sessions?limit=1000");
  ASSERT_TRUE(sessions && sessions->status == 200) << describe(sessions);
  EXPECT_EQ(bsm::test::body_of(*sessions)["sessions"].size(), 10u)
    << sessions->body;
}

TEST_F(WorkflowsTest, AFailingStepUsesItsRetriesThenItsCompensationRuns) {
  for (int i = 0; i < 3; ++i)
    up_.push_for("pay c-1",
                 json_reply(500, error_body("card declined", "server_error")));
  up_.push_for("refund c-1 after 3 attempts",
               json_reply(200, completion("refunded")));
  auto node = start();
  auto port = node->port();
  define(port, "pay",
         {with(agent("pay", "pay ${input.doc}"),
               {{"retries", 2},
                {"backoff", {{"initial", "100ms"}, {"max", "200ms"}}},
                {"on_failure", "compensate"},
                {"compensation", "refund"}}),
          agent("refund",
                "refund ${input.doc} after ${steps.pay.attempts} attempts"),
          agent("ship", "ship ${input.doc}", {"pay"})});
  auto id = run(port, "pay", {{"doc", "c-1"}});
  ASSERT_TRUE(run_reaches(port, id, "failed")) << get_run(port, id).dump();
  auto done = get_run(port, id);
  EXPECT_EQ(done.value("error", "").rfind("step 'pay': ", 0), 0u)
    << done.dump();
  EXPECT_EQ(asked("pay c-1"), 3u);
  EXPECT_EQ(step_of(done, "pay")["state"], "failed") << done.dump();
  EXPECT_EQ(step_of(done, "pay")["attempts"], 3) << done.dump();
  EXPECT_FALSE(step_of(done, "pay").value("error", "").empty());
  EXPECT_EQ(asked("refund c-1 after 3 attempts"), 1u);
  EXPECT_EQ(step_of(done, "refund")["state"], "succeeded") << done.dump();
  EXPECT_EQ(step_of(done, "refund")["output"], "refunded");
  EXPECT_EQ(step_of(done, "ship")["state"], "skipped") << done.dump();
  EXPECT_EQ(asked("ship c-1"), 0u);
}

TEST_F(WorkflowsTest, AFailingStepWithOnFailureContinueLetsTheRunGoOn) {
  for (int i = 0; i < 2; ++i)
    up_.push_for("pay c-2",
                 json_reply(500, error_body("card declined", "server_error")));
  up_.push_for("ship c-2 paid=", json_reply(200, completion("shipped")));
  auto node = start();
  auto port = node->port();
  define(
    port, "lenient",
    {with(agent("pay", "pay ${input.doc}"),
          {{"retries", 1},
           {"backoff", {{"initial", "100ms"}, {"max", "100ms"}}},
           {"on_failure", "continue"}}),
     agent("ship", "ship ${input.doc} paid=${steps.pay.output}", {"pay"})});
  auto id = run(port, "lenient", {{"doc", "c-2"}});
  ASSERT_TRUE(run_reaches(port, id, "succeeded")) << get_run(port, id).dump();
  auto done = get_run(port, id);
  EXPECT_EQ(asked("pay c-2"), 2u);
  EXPECT_EQ(step_of(done, "pay")["state"], "failed") << done.dump();
  EXPECT_EQ(step_of(done, "pay")["attempts"], 2) << done.dump();
  EXPECT_TRUE(step_of(done, "pay")["output"].is_null()) << done.dump();
  EXPECT_EQ(asked("ship c-2 paid="), 1u);
  EXPECT_EQ(step_of(done, "ship")["state"], "succeeded") << done.dump();
  EXPECT_EQ(done["output"]["ship"], "shipped") << done.dump();
}

TEST_F(WorkflowsTest, ARunKeepsItsVersionWhenTheDefinitionChanges) {
  auto version_of = [](const bsm::test::opt_response& res) {
    return res && res->status == 200
             ? bsm::test::body_of(*res).value("version", "")
             : std::string{};
  };
  std::string v1;
  std::string v2;
  {
    auto node = start();
    auto port = node->port();
    v1 = version_of(
      put(port, "gated", {approval("gate"), ping("one", {"gate"})}));
    ASSERT_FALSE(v1.empty());
    run(port, "gated", {{"doc", "d-1"}}, "old-1");
    run(port, "gated", {{"doc", "d-2"}}, "old-2");
    ASSERT_TRUE(step_reaches(port, "old-1", "gate", "waiting"));
    ASSERT_TRUE(step_reaches(port, "old-2", "gate", "waiting"));
    v2 = version_of(
      put(port, "gated", {approval("gate"), ping("two", {"gate"})}));
    ASSERT_FALSE(v2.empty());
    ASSERT_NE(v1, v2);
    auto shown = bsm::test::get(port, "/v1/workflows/gated");
    ASSERT_TRUE(shown && shown->status == 200);
    EXPECT_EQ(bsm::test::body_of(*shown)["version"], v2) << shown->body;
    EXPECT_EQ(bsm::test::body_of(*shown)["versions"], json::array({v1, v2}))
      << shown->body;
    // Signalled on this node, after the change.
    auto ok = signal(port, "old-1", "gate", "approve");
    ASSERT_TRUE(ok && ok->status == 200) << describe(ok);
    ASSERT_TRUE(run_reaches(port, "old-1", "succeeded"))
      << get_run(port, "old-1").dump();
    node->kill();
  }
  // Signalled after a restart, which reads the run's version back.
  auto node = start();
  auto port = node->port();
  auto ok = signal(port, "old-2", "gate", "approve");
  ASSERT_TRUE(ok && ok->status == 200) << describe(ok);
  ASSERT_TRUE(run_reaches(port, "old-2", "succeeded"))
    << get_run(port, "old-2").dump();
  for (const char* id : {"old-1", "old-2"}) {
    auto done = get_run(port, id);
    EXPECT_EQ(done["version"], v1) << done.dump();
    EXPECT_EQ(done["steps"].size(), 2u) << done.dump();
    EXPECT_EQ(step_of(done, "one")["state"], "succeeded") << done.dump();
    EXPECT_TRUE(step_of(done, "two").empty()) << done.dump();
    EXPECT_TRUE(done["output"].contains("one")) << done.dump();
    EXPECT_FALSE(done["output"].contains("two")) << done.dump();
  }
  auto fresh = run(port, "gated", {{"doc", "d-3"}}, "new-1");
  ASSERT_TRUE(step_reaches(port, fresh, "gate", "waiting"));
  EXPECT_EQ(get_run(port, fresh)["version"], v2);
  auto yes = signal(port, fresh, "gate", "approve");
  ASSERT_TRUE(yes && yes->status == 200) << describe(yes);
  ASSERT_TRUE(run_reaches(port, fresh, "succeeded"))
    << get_run(port, fresh).dump();
  auto done = get_run(port, fresh);
  EXPECT_EQ(step_of(done, "two")["state"], "succeeded") << done.dump();
  EXPECT_TRUE(step_of(done, "one").empty()) << done.dump();
}

TEST_F(WorkflowsTest, StartingARunIdAgainIsTheSameRunWhileItWaitsAndAfter) {
  auto start_again
    = [](uint16_t port, const std::string& workflow, const json& input) {
        json body{{"input", input}, {"run_id", "same-1"}};
        return bsm::test::post_json(port, "/v1/workflows/" + workflow + "/runs",
                                    body.dump());
      };
  {
    auto node = start();
    auto port = node->port();
    define(port, "gated", {approval("gate"), ping("one", {"gate"})});
    define(port, "other", {ping("only")});
    auto first = start_again(port, "gated", {{"doc", "d-1"}});
    ASSERT_TRUE(first && first->status == 202) << describe(first);
    EXPECT_EQ(bsm::test::body_of(*first)["existed"], false);
    ASSERT_TRUE(step_reaches(port, "same-1", "gate", "waiting"));
    // Again while it waits, with another input: the run as it was.
    auto again = start_again(port, "gated", {{"doc", "d-2"}});
    ASSERT_TRUE(again && again->status == 202) << describe(again);
    EXPECT_EQ(bsm::test::body_of(*again)["existed"], true);
    EXPECT_EQ(bsm::test::body_of(*again)["run_id"], "same-1");
    EXPECT_EQ(bsm::test::body_of(*again)["state"], "running");
    EXPECT_EQ(get_run(port, "same-1")["input"]["doc"], "d-1");
    // The id under another workflow is not that workflow's run.
    auto elsewhere = start_again(port, "other", json::object());
    ASSERT_TRUE(elsewhere);
    EXPECT_EQ(elsewhere->status, 409) << elsewhere->body;
    EXPECT_NE(elsewhere->body.find("gated"), std::string::npos)
      << elsewhere->body;
    node->kill();
  }
  auto node = start();
  auto port = node->port();
  auto after = start_again(port, "gated", {{"doc", "d-3"}});
  ASSERT_TRUE(after && after->status == 202) << describe(after);
  EXPECT_EQ(bsm::test::body_of(*after)["existed"], true);
  auto ok = signal(port, "same-1", "gate", "approve");
  ASSERT_TRUE(ok && ok->status == 200) << describe(ok);
  ASSERT_TRUE(run_reaches(port, "same-1", "succeeded"))
    << get_run(port, "same-1").dump();
  auto ended = start_again(port, "gated", {{"doc", "d-4"}});
  ASSERT_TRUE(ended && ended->status == 202) << describe(ended);
  EXPECT_EQ(bsm::test::body_of(*ended)["existed"], true);
  EXPECT_EQ(bsm::test::body_of(*ended)["state"], "succeeded");
  auto done = get_run(port, "same-1");
  EXPECT_EQ(done["input"]["doc"], "d-1");
  EXPECT_EQ(step_of(done, "one")["attempts"], 1) << done.dump();
  auto listed = bsm::test::get(port, "/v1/runs?workflow=gated");
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_EQ(bsm::test::body_of(*listed)["runs"].size(), 1u) << listed->body;
}

} // namespace
