#include "workflows/workflow_graph.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "workflows/workflow_expression.hpp"

namespace {

namespace w = bsm::workflows;
using nlohmann::json;
using s = w::step_state;
using ids = std::vector<std::string>;

w::workflow_graph graph_of(const std::string& body) {
  auto def = w::parse_definition(json::parse(body));
  EXPECT_TRUE(def) << bsm::render(def.error());
  auto graph = w::workflow_graph::make(*def);
  EXPECT_TRUE(graph) << bsm::render(graph.error());
  return *graph;
}

// start -> (left, right) -> join, written in another order on purpose.
const char* diamond = R"({"name": "diamond", "steps": [
  {"id": "join", "type": "tool", "tool": "x", "needs": ["left", "right"]},
  {"id": "right", "type": "tool", "tool": "x", "needs": ["start"]},
  {"id": "left", "type": "tool", "tool": "x", "needs": ["start"]},
  {"id": "start", "type": "tool", "tool": "x"}]})";

TEST(WorkflowGraph, OrdersStepsAfterTheirNeeds) {
  auto graph = graph_of(diamond);
  EXPECT_EQ(graph.order(), (ids{"start", "right", "left", "join"}));
  EXPECT_EQ(graph.upstream("join"),
            (std::set<std::string>{"left", "right", "start"}));
  EXPECT_EQ(graph.upstream("left"), std::set<std::string>{"start"});
  EXPECT_TRUE(graph.upstream("start").empty());
  EXPECT_TRUE(graph.contains("left"));
  EXPECT_FALSE(graph.contains("middle"));
}

TEST(WorkflowGraph, RunsTheBranchesOfADiamondInParallel) {
  auto graph = graph_of(diamond);
  w::step_states states;
  EXPECT_EQ(graph.ready(states), ids{"start"});
  states["start"] = s::running;
  EXPECT_TRUE(graph.ready(states).empty());
  EXPECT_EQ(graph.outcome(states), w::run_outcome::running);
  states["start"] = s::succeeded;
  EXPECT_EQ(graph.ready(states), (ids{"right", "left"}));
  states["left"] = s::running;
  EXPECT_EQ(graph.ready(states), ids{"right"});
  states["right"] = s::succeeded;
  EXPECT_TRUE(graph.ready(states).empty()) << "join waits for left";
  states["left"] = s::succeeded;
  EXPECT_EQ(graph.ready(states), ids{"join"});
  states["join"] = s::succeeded;
  EXPECT_TRUE(graph.ready(states).empty());
  EXPECT_EQ(graph.outcome(states), w::run_outcome::succeeded);
}

TEST(WorkflowGraph, ASkippedStepCountsAsDone) {
  // `right` runs only for long contracts; this one is short.
  auto graph = graph_of(R"({"name": "d", "steps": [
    {"id": "start", "type": "tool", "tool": "x"},
    {"id": "left", "type": "tool", "tool": "x", "needs": ["start"]},
    {"id": "right", "type": "tool", "tool": "x", "needs": ["start"],
     "when": "steps.start.output.pages > 10"},
    {"id": "join", "type": "tool", "tool": "x", "needs": ["left", "right"],
     "arguments": {"r": "${steps.right.output}"}}]})");
  auto when = w::parse_expression("steps.start.output.pages > 10");
  ASSERT_TRUE(when);
  json context{{"steps", {{"start", {{"output", {{"pages", 3}}}}}}}};
  EXPECT_FALSE(when->holds(context));
  w::step_states states{
    {"start", s::succeeded}, {"left", s::succeeded}, {"right", s::skipped}};
  EXPECT_EQ(graph.ready(states), ids{"join"});
  states["join"] = s::succeeded;
  EXPECT_EQ(graph.outcome(states), w::run_outcome::succeeded);
  context["steps"]["start"]["output"]["pages"] = 30;
  EXPECT_TRUE(when->holds(context));
}

TEST(WorkflowGraph, AFailureStopsTheRunUnlessTheStepMayContinue) {
  auto graph = graph_of(R"({"name": "d", "steps": [
    {"id": "a", "type": "tool", "tool": "x"},
    {"id": "optional", "type": "tool", "tool": "x", "on_failure": "continue"},
    {"id": "b", "type": "tool", "tool": "x", "needs": ["optional"]},
    {"id": "c", "type": "tool", "tool": "x", "needs": ["a"]}]})");
  w::step_states states{{"optional", s::failed}};
  EXPECT_EQ(graph.ready(states), (ids{"a", "b"}));
  EXPECT_TRUE(graph.counts_as_done("optional", s::failed));
  EXPECT_FALSE(graph.counts_as_done("a", s::failed));
  states["a"] = s::failed;
  EXPECT_TRUE(graph.ready(states).empty()) << "no step starts after a failure";
  EXPECT_EQ(graph.outcome(states), w::run_outcome::failed);
  states["b"] = s::running;
  EXPECT_EQ(graph.outcome(states), w::run_outcome::running)
    << "a failed run is over once its running steps are";
}

TEST(WorkflowGraph, RunsACompensationOnlyWhenItsStepFails) {
  auto graph = graph_of(R"({"name": "saga", "steps": [
    {"id": "reserve", "type": "tool", "tool": "x"},
    {"id": "pay", "type": "tool", "tool": "x", "needs": ["reserve"],
     "on_failure": "compensate", "compensation": "release"},
    {"id": "ship", "type": "tool", "tool": "x", "needs": ["pay"]},
    {"id": "release", "type": "tool", "tool": "x"}]})");
  EXPECT_TRUE(graph.is_compensation("release"));
  EXPECT_FALSE(graph.is_compensation("pay"));
  w::step_states states;
  EXPECT_EQ(graph.ready(states), ids{"reserve"});
  states["reserve"] = s::succeeded;
  states["pay"] = s::succeeded;
  EXPECT_EQ(graph.ready(states), ids{"ship"});
  states["pay"] = s::failed;
  EXPECT_EQ(graph.ready(states), ids{"release"});
  EXPECT_EQ(graph.outcome(states), w::run_outcome::running);
  states["release"] = s::succeeded;
  EXPECT_TRUE(graph.ready(states).empty());
  EXPECT_EQ(graph.outcome(states), w::run_outcome::failed);
  // Never run when nothing failed.
  w::step_states fine{
    {"reserve", s::succeeded}, {"pay", s::succeeded}, {"ship", s::succeeded}};
  EXPECT_TRUE(graph.ready(fine).empty());
  EXPECT_EQ(graph.outcome(fine), w::run_outcome::succeeded);
}

TEST(WorkflowGraph, ACancelledStepCancelsTheRun) {
  auto graph = graph_of(diamond);
  w::step_states states{
    {"start", s::succeeded}, {"left", s::cancelled}, {"right", s::succeeded}};
  EXPECT_TRUE(graph.ready(states).empty());
  EXPECT_EQ(graph.outcome(states), w::run_outcome::cancelled);
  EXPECT_STREQ(w::to_string(s::cancelled), "cancelled");
  EXPECT_STREQ(w::to_string(s::skipped), "skipped");
}

TEST(WorkflowGraph, RefusesDefinitionsThatAreNoDag) {
  auto error_of = [](const std::string& body) {
    auto def = w::parse_definition(json::parse(body));
    EXPECT_TRUE(def);
    auto graph = w::workflow_graph::make(*def);
    return graph ? std::string{"made"} : bsm::render(graph.error());
  };
  EXPECT_EQ(error_of(R"({"name": "d", "steps": [
              {"id": "a", "type": "tool", "tool": "x"},
              {"id": "a", "type": "tool", "tool": "x"}]})"),
            "invalid_argument: step 'a': id: another step has this id");
  EXPECT_EQ(error_of(R"({"name": "d", "steps": [
              {"id": "a", "type": "tool", "tool": "x", "needs": ["b"]}]})"),
            "invalid_argument: step 'a': needs: unknown step 'b'");
  EXPECT_EQ(error_of(R"({"name": "d", "steps": [
              {"id": "a", "type": "tool", "tool": "x", "on_failure":
               "compensate", "compensation": "b"}]})"),
            "invalid_argument: step 'a': compensation: unknown step 'b'");
  EXPECT_EQ(error_of(R"({"name": "d", "steps": [
              {"id": "a", "type": "tool", "tool": "x", "needs": ["c"]},
              {"id": "b", "type": "tool", "tool": "x", "needs": ["a"]},
              {"id": "c", "type": "tool", "tool": "x", "needs": ["b"]}]})"),
            "invalid_argument: cycle: a -> c -> b -> a");
}

TEST(WorkflowGraph, ToleratesBrokenDefinitionsInItsHelpers) {
  auto def = w::parse_definition(json::parse(R"({"name": "d", "steps": [
    {"id": "a", "type": "tool", "tool": "x", "needs": ["b", "ghost"]},
    {"id": "b", "type": "tool", "tool": "x", "needs": ["a"]}]})"));
  ASSERT_TRUE(def);
  auto up = w::upstream_sets(*def);
  EXPECT_EQ(up["a"], (std::set<std::string>{"a", "b", "ghost"}));
  EXPECT_EQ(up["b"], (std::set<std::string>{"a", "b", "ghost"}));
  EXPECT_EQ(w::find_cycle(*def), (ids{"a", "b", "a"}));
}

} // namespace
