#include "workflows/workflow_validation.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "runtime/error.hpp"
#include "tests/unit/workflows/contract_review.hpp"

namespace {

namespace w = bsm::workflows;
using nlohmann::json;

w::workflow_definition parse(const std::string& body) {
  auto def = w::parse_definition(json::parse(body));
  EXPECT_TRUE(def) << bsm::render(def.error());
  return def ? *def : w::workflow_definition{};
}

// Every problem of `steps` (a JSON list) as text, in order.
std::vector<std::string> problems(const std::string& steps,
                                  const w::workflow_catalog& catalog = {},
                                  const std::string& extra = "") {
  auto def = parse(R"({"name": "wf", )" + extra + R"("steps": )" + steps + "}");
  std::vector<std::string> result;
  for (const auto& x : w::validate(def, catalog))
    result.push_back(w::to_string(x));
  return result;
}

using texts = std::vector<std::string>;

// A catalog that knows a few names.
w::workflow_catalog catalog() {
  auto among = [](std::set<std::string> names) {
    return [names](const std::string& x) {
      return names.count(x) > 0;
    };
  };
  w::workflow_catalog result;
  result.has_agent = among({"security", "legal", "runner", "helper"});
  result.has_tool = among({"search"});
  result.has_workflow = among({"child"});
  result.has_message_type = among({"bsm.v1.Ping"});
  return result;
}

TEST(WorkflowValidation, AcceptsTheContractReview) {
  auto def = w::parse_definition_yaml(bsm::test::contract_review_yaml, "");
  ASSERT_TRUE(def);
  EXPECT_TRUE(w::validate(*def, catalog()).empty());
  EXPECT_FALSE(w::check_definition(*def, catalog()));
}

// The example of docs/WORKFLOWS.md (its first YAML block) stays valid for
// the seed agents.
TEST(WorkflowValidation, AcceptsTheExampleOfTheDocs) {
  std::string source = BSM_SOURCE_DIR;
  std::ifstream in{source + "/docs/WORKFLOWS.md"};
  std::stringstream text;
  text << in.rdbuf();
  auto doc = text.str();
  auto begin = doc.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  auto end = doc.find("```", begin);
  auto def
    = w::parse_definition_yaml(doc.substr(begin, end - begin), "WORKFLOWS.md");
  ASSERT_TRUE(def) << bsm::render(def.error());
  w::workflow_catalog seed;
  seed.has_agent = [&](const std::string& name) {
    return std::filesystem::exists(source + "/agents/seed/" + name + ".yaml");
  };
  for (const auto& x : w::validate(*def, seed))
    ADD_FAILURE() << w::to_string(x);
  EXPECT_EQ(def->steps.size(), 5u);
  EXPECT_FALSE(seed.has_agent("nobody"));
}

TEST(WorkflowValidation, NamesDuplicateIdsAndUnknownNeeds) {
  EXPECT_EQ(problems(R"([
    {"id": "a", "type": "tool", "tool": "search"},
    {"id": "a", "type": "tool", "tool": "search"},
    {"id": "review", "type": "tool", "tool": "search",
     "needs": ["a", "x", "a"]}])"),
            (texts{"step 'a': id: another step has this id",
                   "step 'review': needs: unknown step 'x'",
                   "step 'review': needs: 'a' is listed twice"}));
}

TEST(WorkflowValidation, NamesTheCycle) {
  EXPECT_EQ(problems(R"([
    {"id": "start", "type": "tool", "tool": "search"},
    {"id": "a", "type": "tool", "tool": "search", "needs": ["start", "c"]},
    {"id": "b", "type": "tool", "tool": "search", "needs": ["a"]},
    {"id": "c", "type": "tool", "tool": "search", "needs": ["b"]}])"),
            texts{"cycle: a -> c -> b -> a"});
  EXPECT_EQ(problems(R"([{"id": "a", "type": "tool", "tool": "search",
                          "needs": ["a"]}])"),
            texts{"cycle: a -> a"});
}

TEST(WorkflowValidation, NamesUnknownAgentsToolsWorkflowsAndTypes) {
  EXPECT_EQ(problems(R"([
    {"id": "a", "type": "agent", "agent": "nobody", "input": "hi"},
    {"id": "t", "type": "tool", "tool": "rm_rf"},
    {"id": "c", "type": "workflow", "workflow": "orphan"},
    {"id": "me", "type": "workflow", "workflow": "wf"},
    {"id": "m1", "type": "message", "actor": "x", "message": "Ping"},
    {"id": "m2", "type": "message", "actor": "x", "message": "bsm.v1."},
    {"id": "m3", "type": "message", "actor": "x", "message": "bsm.v1.Pong"},
    {"id": "m4", "type": "message", "actor": "x", "message": "bsm.v1.Ping"},
    {"id": "each", "type": "map", "over": [1, 2],
     "step": {"type": "agent", "agent": "ghost", "input": "${item}"}}])",
                     catalog()),
            (texts{"step 'a': agent: unknown agent 'nobody'",
                   "step 't': tool: unknown tool 'rm_rf'",
                   "step 'c': workflow: unknown workflow 'orphan'",
                   "step 'me': workflow: a workflow cannot start itself",
                   "step 'm1': message: 'Ping' is not a bsm.v1.* message type",
                   "step 'm2': message: 'bsm.v1.' is not a bsm.v1.* message "
                   "type",
                   "step 'm3': message: unknown message type 'bsm.v1.Pong'",
                   "step 'each': step.agent: unknown agent 'ghost'"}));
}

TEST(WorkflowValidation, WithoutACatalogOnlyChecksTheShapeOfNames) {
  EXPECT_EQ(problems(R"([
    {"id": "a", "type": "agent", "agent": "nobody", "input": "hi"},
    {"id": "m", "type": "message", "actor": "x", "message": "Ping"}])"),
            texts{"step 'm': message: 'Ping' is not a bsm.v1.* message type"});
}

TEST(WorkflowValidation, ExpressionsMayOnlyReadUpstreamSteps) {
  EXPECT_EQ(problems(R"([
    {"id": "a", "type": "tool", "tool": "search"},
    {"id": "b", "type": "tool", "tool": "search", "needs": ["a"]},
    {"id": "c", "type": "tool", "tool": "search", "needs": ["b"],
     "arguments": {"q": "${steps.a.output.x}", "r": ["${steps.d.output}"]}},
    {"id": "d", "type": "agent", "agent": "helper", "needs": ["a"],
     "input": "${steps.b.output} ${steps.zz.output}",
     "when": "steps.d.state == 'x'"},
    {"id": "e", "type": "approval", "prompt": "${steps.c.output}"}])"),
            (texts{"step 'c': arguments.r[0]: refers to step 'd', which is not "
                   "upstream (add it to needs)",
                   "step 'd': when: refers to its own step",
                   "step 'd': input: refers to step 'b', which is not upstream "
                   "(add it to needs)",
                   "step 'd': input: refers to unknown step 'zz'",
                   "step 'e': prompt: refers to step 'c', which is not "
                   "upstream (add it to needs)"}));
}

TEST(WorkflowValidation, ReportsExpressionSyntaxWithField) {
  EXPECT_EQ(
    problems(R"([
    {"id": "a", "type": "agent", "agent": "helper",
     "input": "Review ${input.contract", "when": "input.x = 1"},
    {"id": "s", "type": "sleep", "until": "${input.when"},
    {"id": "t", "type": "tool", "tool": "x", "arguments": {"q": "${what}"}}])",
             {}, R"("output": {"r": "${steps.a.output.x +}"}, )"),
    (texts{"output.r: column 20: expected '}' to close the '${' at "
           "column 1, got '+'",
           "step 'a': when: column 9: expected an operator or the "
           "end, got '='",
           "step 'a': input: column 24: expected '}' to close the '${' "
           "at column 8, got the end",
           "step 's': until: column 13: expected '}' to close the '${' "
           "at column 1, got the end",
           "step 't': arguments.q: column 3: unknown name 'what' (paths "
           "start with input, steps or item; text goes in quotes)"}));
}

TEST(WorkflowValidation, OutputMayReadAnyStepButNoItem) {
  EXPECT_TRUE(problems(R"([{"id": "a", "type": "tool", "tool": "x"}])", {},
                       R"("output": "${steps.a.output}", )")
                .empty());
  EXPECT_EQ(
    problems(R"([{"id": "a", "type": "tool", "tool": "x"}])", {},
             R"("output": {"x": "${steps.b.output}", "y": "${item}"}, )"),
    (texts{"output.x: refers to unknown step 'b'",
           "output.y: ${item} is only defined in a map's step"}));
}

TEST(WorkflowValidation, ChecksMaps) {
  EXPECT_EQ(problems(R"([
    {"id": "list", "type": "tool", "tool": "x"},
    {"id": "ok", "type": "map", "needs": ["list"],
     "over": "${steps.list.output.items}",
     "step": {"type": "tool", "tool": "x", "arguments": {"i": "${item.id}"},
              "when": "item.risk > 2"}},
    {"id": "literal_ok", "type": "map", "over": ["a", "${input.b}"],
     "step": {"type": "tool", "tool": "x"}},
    {"id": "number", "type": "map", "over": 3,
     "step": {"type": "tool", "tool": "x"}},
    {"id": "text", "type": "map", "over": "a,b,c",
     "step": {"type": "tool", "tool": "x"}},
    {"id": "mixed", "type": "map", "over": "items: ${input.items}",
     "step": {"type": "tool", "tool": "x"}},
    {"id": "const", "type": "map", "over": "${'abc'}",
     "step": {"type": "tool", "tool": "x"}},
    {"id": "object", "type": "map", "over": {"a": 1},
     "step": {"type": "tool", "tool": "x"}},
    {"id": "late", "type": "map", "over": "${steps.list.output}",
     "step": {"type": "agent", "agent": "helper",
              "input": "${steps.ok.output} ${item}"}},
    {"id": "stray", "type": "tool", "tool": "x",
     "arguments": {"i": "${item}"}}])"),
            (texts{"step 'number': over: expected a list or an expression "
                   "that yields one, got the number 3",
                   "step 'text': over: expected a list or an expression that "
                   "yields one, got 'a,b,c'",
                   "step 'mixed': over: text around a ${...} makes text, not a "
                   "list",
                   "step 'const': over: expected a list, got 'abc'",
                   "step 'object': over: expected a list or an expression "
                   "that yields one, got an object",
                   "step 'late': over: refers to step 'list', which is not "
                   "upstream (add it to needs)",
                   "step 'late': step.input: refers to step 'ok', which is "
                   "not upstream (add it to needs)",
                   "step 'stray': arguments.i: ${item} is only defined in a "
                   "map's step"}));
}

TEST(WorkflowValidation, ChecksCompensations) {
  EXPECT_EQ(problems(R"([
    {"id": "reserve", "type": "tool", "tool": "x"},
    {"id": "pay", "type": "tool", "tool": "x", "needs": ["reserve"],
     "on_failure": "compensate", "compensation": "refund"},
    {"id": "refund", "type": "tool", "tool": "x",
     "arguments": {"why": "${steps.pay.error}",
                   "what": "${steps.reserve.output}"}},
    {"id": "after", "type": "tool", "tool": "x", "needs": ["refund"]},
    {"id": "self", "type": "tool", "tool": "x",
     "on_failure": "compensate", "compensation": "self"},
    {"id": "ghost", "type": "tool", "tool": "x",
     "on_failure": "compensate", "compensation": "nothing"}])"),
            (texts{"step 'after': needs: 'refund' is a compensation step, "
                   "which runs only when the step it compensates fails",
                   "step 'self': compensation: a step cannot compensate itself",
                   "step 'ghost': compensation: unknown step 'nothing'"}));
}

TEST(WorkflowValidation, CheckDefinitionJoinsEveryProblem) {
  auto def = parse(R"({"name": "wf", "steps": [
    {"id": "a", "type": "tool", "tool": "x", "needs": ["b"]},
    {"id": "b", "type": "tool", "tool": "x", "needs": ["a", "c"]}]})");
  auto err = w::check_definition(def);
  ASSERT_TRUE(err);
  EXPECT_TRUE(bsm::is(err, bsm::errc::invalid_argument));
  EXPECT_EQ(bsm::render(err), "invalid_argument: step 'b': needs: unknown "
                              "step 'c'; cycle: a -> b -> a");
}

} // namespace
