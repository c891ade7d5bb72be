#include "workflows/workflow_definition.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/unit/workflows/contract_review.hpp"

namespace {

namespace w = bsm::workflows;
using nlohmann::json;
using std::chrono::milliseconds;

// A minimal valid definition with `step` as its only step.
json with_step(json step) {
  return {{"name", "wf"}, {"steps", json::array({std::move(step)})}};
}

json agent_step() {
  return {{"id", "a"}, {"type", "agent"}, {"agent", "helper"}, {"input", "hi"}};
}

// The error of parsing `body`, or "parsed".
std::string error_of(const json& body) {
  auto def = w::parse_definition(body);
  if (def)
    return "parsed";
  EXPECT_TRUE(bsm::is(def.error(), bsm::errc::invalid_argument));
  return bsm::render(def.error());
}

std::string step_error(const json& patch) {
  auto step = agent_step();
  step.merge_patch(patch);
  return error_of(with_step(step));
}

std::string yaml_error(const std::string& text) {
  auto def = w::parse_definition_yaml(text, "wf.yaml");
  return def ? "parsed" : bsm::render(def.error());
}

TEST(WorkflowDefinition, ReadsTheContractReviewFromYaml) {
  auto def = w::parse_definition_yaml(bsm::test::contract_review_yaml,
                                      "contract.yaml");
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(def->name, "contract-review");
  EXPECT_EQ(def->input["required"], json::array({"contract"}));
  ASSERT_EQ(def->steps.size(), 4u);
  const auto& security = def->steps[0];
  EXPECT_EQ(security.id, "security_review");
  EXPECT_EQ(security.max_attempts, 3u) << "retries: 2";
  EXPECT_EQ(security.backoff.initial, milliseconds{1000});
  EXPECT_EQ(security.backoff.max, milliseconds{30000});
  EXPECT_EQ(security.backoff.multiplier, 2.0);
  EXPECT_EQ(security.timeout, milliseconds{300000});
  const auto& agent = std::get<w::agent_step>(security.body);
  EXPECT_EQ(agent.agent, "security");
  EXPECT_EQ(agent.input, "Review the security terms of: ${input.contract}");
  EXPECT_EQ(def->steps[1].on_failure, w::failure_policy::continue_run);
  const auto& sign_off = def->steps[2];
  EXPECT_EQ(sign_off.needs,
            (std::vector<std::string>{"security_review", "legal_review"}));
  EXPECT_EQ(sign_off.timeout, milliseconds{2 * 86'400'000});
  const auto& approval = std::get<w::approval_step>(sign_off.body);
  EXPECT_EQ(approval.default_outcome, w::approval_outcome::reject);
  EXPECT_EQ(def->steps[3].when, "steps.sign_off.output.outcome == 'approve'");
  EXPECT_EQ(def->output["decision"], "${steps.sign_off.output}");
}

TEST(WorkflowDefinition, YamlAndJsonGiveTheSameDefinition) {
  auto yaml = w::parse_definition_yaml(bsm::test::contract_review_yaml, "");
  auto body = w::parse_definition(json::parse(bsm::test::contract_review_json));
  ASSERT_TRUE(yaml) << bsm::render(yaml.error());
  ASSERT_TRUE(body) << bsm::render(body.error());
  EXPECT_EQ(w::to_json(*yaml), w::to_json(*body));
}

TEST(WorkflowDefinition, RoundTripsThroughItsNormalForm) {
  auto def = w::parse_definition(json::parse(bsm::test::contract_review_json));
  ASSERT_TRUE(def);
  auto normal = w::to_json(*def);
  EXPECT_EQ(normal["steps"][0]["timeout"], "5m");
  EXPECT_EQ(normal["steps"][2]["timeout"], "2d");
  EXPECT_EQ(normal["steps"][0]["max_attempts"], 3);
  auto again = w::parse_definition(normal);
  ASSERT_TRUE(again) << bsm::render(again.error());
  EXPECT_EQ(w::to_json(*again), normal);
}

TEST(WorkflowDefinition, ReadsEveryStepType) {
  auto body = json::parse(R"({"name": "all", "node": "node-1", "steps": [
    {"id": "t", "type": "tool", "tool": "knowledge_search",
     "arguments": {"query": "${input.q}"}},
    {"id": "m", "type": "message", "actor": "ledger/main",
     "message": "bsm.v1.LedgerAppend", "payload": {"entry": "x"}},
    {"id": "s1", "type": "sleep", "duration": "250ms"},
    {"id": "s2", "type": "sleep", "until": "2026-03-01T09:00:00+01:00"},
    {"id": "s3", "type": "sleep", "until": "${input.when}"},
    {"id": "c", "type": "workflow", "workflow": "child",
     "input": {"x": "${input.x}"}},
    {"id": "each", "type": "map", "over": "${input.items}",
     "parallelism": 8,
     "step": {"type": "tool", "tool": "summarize",
              "arguments": {"text": "${item}"}, "retries": 1}},
    {"id": "pay", "type": "tool", "tool": "pay",
     "on_failure": "compensate", "compensation": "refund"},
    {"id": "refund", "type": "tool", "tool": "refund"}]})");
  auto def = w::parse_definition(body);
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(def->node, "node-1");
  const auto& steps = def->steps;
  EXPECT_STREQ(w::type_name(steps[0].body), "tool");
  EXPECT_EQ(std::get<w::tool_step>(steps[0].body).arguments["query"],
            "${input.q}");
  const auto& message = std::get<w::message_step>(steps[1].body);
  EXPECT_EQ(message.actor, "ledger/main");
  EXPECT_EQ(message.type, "bsm.v1.LedgerAppend");
  EXPECT_EQ(std::get<w::sleep_step>(steps[2].body).duration, milliseconds{250});
  EXPECT_EQ(std::get<w::sleep_step>(steps[3].body).until,
            "2026-03-01T09:00:00+01:00");
  EXPECT_EQ(std::get<w::workflow_step>(steps[5].body).workflow, "child");
  const auto& map = std::get<w::map_step>(steps[6].body);
  EXPECT_EQ(map.parallelism, 8u);
  ASSERT_NE(map.step, nullptr);
  EXPECT_EQ(map.step->max_attempts, 2u);
  EXPECT_STREQ(w::type_name(map.step->body), "tool");
  EXPECT_EQ(steps[7].on_failure, w::failure_policy::compensate);
  EXPECT_EQ(steps[7].compensation, "refund");
  auto again = w::parse_definition(w::to_json(*def));
  ASSERT_TRUE(again) << bsm::render(again.error());
  EXPECT_EQ(w::to_json(*again), w::to_json(*def));
}

TEST(WorkflowDefinition, RefusesBadWorkflowFields) {
  EXPECT_EQ(error_of(json::array()),
            "invalid_argument: expected a workflow definition (an object), "
            "got a list");
  EXPECT_EQ(error_of({{"steps", json::array({agent_step()})}}),
            "invalid_argument: name: missing");
  EXPECT_EQ(error_of({{"name", "Bad Name"}, {"steps", {agent_step()}}}),
            "invalid_argument: name: expected a name of a-z, 0-9, '_' and '-' "
            "(1..64), got 'Bad Name'");
  EXPECT_EQ(error_of({{"name", "wf"}, {"stpes", {agent_step()}}}),
            "invalid_argument: stpes: unknown key for a workflow (known: "
            "name, description, node, input, output, steps)");
  EXPECT_EQ(error_of({{"name", "wf"}}), "invalid_argument: steps: missing");
  EXPECT_EQ(error_of({{"name", "wf"}, {"steps", json::array()}}),
            "invalid_argument: steps: a workflow has at least one step");
  EXPECT_EQ(error_of({{"name", "wf"}, {"steps", "a"}}),
            "invalid_argument: steps: expected a list, got 'a'");
  EXPECT_EQ(error_of({{"name", "wf"}, {"steps", {agent_step(), 3}}}),
            "invalid_argument: steps[1]: expected an object, got the number 3");
  auto body = with_step(agent_step());
  body["node"] = "bad node";
  EXPECT_NE(error_of(body).find("invalid_argument: node: "), std::string::npos)
    << error_of(body);
  body = with_step(agent_step());
  body["input"] = "a string";
  EXPECT_EQ(error_of(body),
            "invalid_argument: input: expected an object, got 'a string'");
  body = with_step(agent_step());
  body["description"] = std::string(5000, 'x');
  EXPECT_EQ(error_of(body),
            "invalid_argument: description: at most 4096 bytes");
  body = with_step(agent_step());
  body["steps"] = json::array();
  for (int i = 0; i < 3; ++i) {
    auto step = agent_step();
    step["id"] = "s" + std::to_string(i);
    body["steps"].push_back(step);
  }
  w::definition_limits limits;
  limits.max_steps = 2;
  auto def = w::parse_definition(body, limits);
  ASSERT_FALSE(def);
  EXPECT_EQ(bsm::render(def.error()),
            "invalid_argument: steps: at most 2 steps, got 3");
}

TEST(WorkflowDefinition, RefusesBadStepFieldsNamingStepAndField) {
  EXPECT_EQ(step_error({{"id", "A"}}),
            "invalid_argument: steps[0]: id: expected a name of a-z, 0-9, '_' "
            "and '-' (1..64), got 'A'");
  EXPECT_EQ(step_error({{"type", "shell"}}),
            "invalid_argument: step 'a': type: expected one of "
            "agent|tool|message|sleep|approval|workflow|map, got 'shell'");
  EXPECT_EQ(step_error({{"tool", "x"}}),
            "invalid_argument: step 'a': tool: unknown key for an agent step "
            "(known: id, type, needs, when, retries, max_attempts, backoff, "
            "timeout, on_failure, compensation, agent, input, session)");
  EXPECT_EQ(step_error({{"input", nullptr}}),
            "invalid_argument: step 'a': input: missing");
  EXPECT_EQ(
    step_error({{"input", 3}}),
    "invalid_argument: step 'a': input: expected text, got the number 3");
  EXPECT_EQ(
    step_error({{"needs", "b"}}),
    "invalid_argument: step 'a': needs: expected a list of step ids, got "
    "'b'");
  EXPECT_EQ(
    step_error({{"needs", {"b", "C"}}}),
    "invalid_argument: step 'a': needs: expected a list of step ids, got "
    "'C'");
  EXPECT_EQ(step_error({{"when", ""}}),
            "invalid_argument: step 'a': when: is empty");
  EXPECT_EQ(step_error({{"timeout", "5 minutes"}}),
            "invalid_argument: step 'a': timeout: expected a duration such as "
            "250ms, 30s, 5m, 2h or 1d, got '5 minutes'");
  EXPECT_EQ(step_error({{"timeout", "30"}}),
            "invalid_argument: step 'a': timeout: expected a duration such as "
            "250ms, 30s, 5m, 2h or 1d, got '30'");
  EXPECT_EQ(step_error({{"timeout", 30}}),
            "invalid_argument: step 'a': timeout: expected a duration such as "
            "250ms, 30s, 5m, 2h or 1d, got the number 30");
  EXPECT_EQ(step_error({{"timeout", "0s"}}),
            "invalid_argument: step 'a': timeout: must be more than 0");
  EXPECT_EQ(step_error({{"retries", 2}, {"max_attempts", 3}}),
            "invalid_argument: step 'a': retries: give either 'retries' or "
            "'max_attempts'");
  EXPECT_EQ(
    step_error({{"retries", 100}}),
    "invalid_argument: step 'a': retries: expected an integer in 0..99, "
    "got the number 100");
  EXPECT_EQ(step_error({{"max_attempts", 0}}),
            "invalid_argument: step 'a': max_attempts: expected an integer in "
            "1..100, got the number 0");
  EXPECT_EQ(step_error({{"max_attempts", 1.5}}),
            "invalid_argument: step 'a': max_attempts: expected an integer in "
            "1..100, got the number 1.5");
  EXPECT_EQ(step_error({{"backoff", {{"initial", "10s"}, {"max", "1s"}}}}),
            "invalid_argument: step 'a': backoff.max: is below 'initial'");
  EXPECT_NE(step_error({{"backoff", {{"multiplier", 3}}}})
              .find("backoff.multiplier: only 2 for now"),
            std::string::npos);
  EXPECT_EQ(step_error({{"backoff", {{"multiplier", 0.5}}}}),
            "invalid_argument: step 'a': backoff.multiplier: expected a number "
            "in 1.0..10.0, got the number 0.5");
  EXPECT_EQ(step_error({{"backoff", {{"jitter", true}}}}),
            "invalid_argument: step 'a': backoff.jitter: unknown key for a "
            "backoff (known: initial, max, multiplier)");
  EXPECT_EQ(step_error({{"backoff", {{"initial", "soon"}}}}),
            "invalid_argument: step 'a': backoff.initial: expected a duration "
            "such as 250ms, 30s, 5m, 2h or 1d, got 'soon'");
  EXPECT_EQ(step_error({{"on_failure", "retry"}}),
            "invalid_argument: step 'a': on_failure: expected one of "
            "fail|continue|compensate, got 'retry'");
  EXPECT_EQ(step_error({{"on_failure", "compensate"}}),
            "invalid_argument: step 'a': compensation: missing (on_failure is "
            "compensate)");
  EXPECT_EQ(step_error({{"compensation", "undo"}}),
            "invalid_argument: step 'a': compensation: needs 'on_failure: "
            "compensate'");
}

TEST(WorkflowDefinition, RefusesBadFieldsOfEachType) {
  auto error = [](const char* step) {
    return error_of(with_step(json::parse(step)));
  };
  EXPECT_EQ(error(R"({"id": "t", "type": "tool", "tool": "a b"})"),
            "invalid_argument: step 't': tool: expected a tool name "
            "([A-Za-z0-9_-], 1..64), got 'a b'");
  EXPECT_EQ(
    error(R"({"id": "t", "type": "tool", "tool": "x", "arguments": []})"),
    "invalid_argument: step 't': arguments: expected an object, got a "
    "list");
  EXPECT_EQ(error(R"({"id": "m", "type": "message", "actor": "/x",
                      "message": "bsm.v1.Ping"})"),
            "invalid_argument: step 'm': actor: expected an actor's name, got "
            "'/x'");
  EXPECT_EQ(error(R"({"id": "m", "type": "message", "actor": "x"})"),
            "invalid_argument: step 'm': message: missing");
  EXPECT_EQ(error(R"({"id": "s", "type": "sleep"})"),
            "invalid_argument: step 's': a sleep has exactly one of 'duration' "
            "and 'until'");
  EXPECT_EQ(error(R"({"id": "s", "type": "sleep", "duration": "1s",
                      "until": "2026-01-01T00:00:00Z"})"),
            "invalid_argument: step 's': a sleep has exactly one of 'duration' "
            "and 'until'");
  EXPECT_EQ(error(R"({"id": "s", "type": "sleep", "duration": "1 hour"})"),
            "invalid_argument: step 's': duration: expected a duration such as "
            "250ms, 30s, 5m, 2h or 1d, got '1 hour'");
  EXPECT_EQ(error(R"({"id": "s", "type": "sleep", "until": "tomorrow"})"),
            "invalid_argument: step 's': until: expected an RFC 3339 time such "
            "as 2026-03-01T09:00:00Z or an expression, got 'tomorrow'");
  EXPECT_EQ(error(R"({"id": "p", "type": "approval", "prompt": "ok?",
                      "default": "approve"})"),
            "invalid_argument: step 'p': default: a default outcome needs a "
            "'timeout'");
  EXPECT_EQ(error(R"({"id": "p", "type": "approval", "prompt": "ok?",
                      "timeout": "1h", "default": "maybe"})"),
            "invalid_argument: step 'p': default: expected one of "
            "approve|reject, got 'maybe'");
  EXPECT_EQ(
    error(R"({"id": "c", "type": "workflow", "workflow": "Child"})"),
    "invalid_argument: step 'c': workflow: expected a name of a-z, 0-9, "
    "'_' and '-' (1..64), got 'Child'");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "step": {"type": "tool",
                      "tool": "x"}})"),
            "invalid_argument: step 'e': over: missing");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "over": [1]})"),
            "invalid_argument: step 'e': step: missing");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "over": [1], "parallelism": 0,
                      "step": {"type": "tool", "tool": "x"}})"),
            "invalid_argument: step 'e': parallelism: expected an integer in "
            "1..1000, got the number 0");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "over": [1],
                      "step": {"type": "tool", "tool": "x", "needs": ["a"]}})"),
            "invalid_argument: step 'e': step.needs: belongs on the map step, "
            "not its inline step");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "over": [1],
                      "step": {"type": "map", "over": [], "step": {}}})"),
            "invalid_argument: step 'e': step.step.type: missing");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "over": [1],
                      "step": {"type": "map", "over": [],
                               "step": {"type": "tool", "tool": "x"}}})"),
            "invalid_argument: step 'e': step.type: a map's step cannot be a "
            "map");
  EXPECT_EQ(error(R"({"id": "e", "type": "map", "over": [1],
                      "step": {"type": "tool", "tool": 3}})"),
            "invalid_argument: step 'e': step.tool: expected text, got the "
            "number 3");
}

TEST(WorkflowDefinition, YamlErrorsNameTheLine) {
  EXPECT_EQ(yaml_error("name: wf\n"
                       "steps:\n"
                       "  - id: a\n"
                       "    type: agent\n"
                       "    agent: helper\n"
                       "    input: hi\n"
                       "    timeout: 5 minutes\n"),
            "invalid_argument: wf.yaml:7: step 'a': timeout: expected a "
            "duration such as 250ms, 30s, 5m, 2h or 1d, got '5 minutes'");
  // A missing key is reported at the line of the map it is missing from.
  EXPECT_EQ(yaml_error("name: wf\n"
                       "steps:\n"
                       "  - id: a\n"
                       "    type: agent\n"
                       "    agent: helper\n"),
            "invalid_argument: wf.yaml:3: step 'a': input: missing");
  EXPECT_EQ(yaml_error("name: wf\n"
                       "steps:\n"
                       "  - id: a\n"
                       "    type: map\n"
                       "    over: ${input.items}\n"
                       "    step:\n"
                       "      type: tool\n"
                       "      tool: x\n"
                       "      timeout: never\n"),
            "invalid_argument: wf.yaml:9: step 'a': step.timeout: expected a "
            "duration such as 250ms, 30s, 5m, 2h or 1d, got 'never'");
  EXPECT_EQ(yaml_error("name: wf\nname: again\nsteps: []\n"),
            "invalid_argument: wf.yaml:2: duplicate key 'name'");
  EXPECT_EQ(yaml_error("name: wf\nsteps: [a, b\n"),
            "invalid_argument: wf.yaml: YAML syntax error at line 3, column 1: "
            "end of sequence flow not found");
  EXPECT_EQ(yaml_error("- a\n- b\n"),
            "invalid_argument: wf.yaml:1: expected a workflow definition (an "
            "object), got a list");
  EXPECT_EQ(yaml_error("name: wf\n---\nname: other\n"),
            "invalid_argument: wf.yaml: expected one YAML document, got 2");
}

TEST(WorkflowDefinition, YamlScalarsFollowTheCoreSchema) {
  auto def = w::parse_definition_yaml("name: wf\n"
                                      "steps:\n"
                                      "  - id: t\n"
                                      "    type: tool\n"
                                      "    tool: x\n"
                                      "    arguments:\n"
                                      "      n: 3\n"
                                      "      neg: -4\n"
                                      "      f: 1.5\n"
                                      "      quoted: \"3\"\n"
                                      "      yes_word: yes\n"
                                      "      flag: true\n"
                                      "      none: ~\n"
                                      "      empty:\n"
                                      "      time: 2026-03-01T09:00:00Z\n",
                                      "");
  ASSERT_TRUE(def) << bsm::render(def.error());
  EXPECT_EQ(std::get<w::tool_step>(def->steps[0].body).arguments,
            json::parse(R"({"n": 3, "neg": -4, "f": 1.5, "quoted": "3",
                            "yes_word": "yes", "flag": true, "none": null,
                            "empty": null,
                            "time": "2026-03-01T09:00:00Z"})"));
}

TEST(WorkflowDefinition, LoadsFilesByExtension) {
  bsm::test::temp_dir dir;
  auto yaml = dir.path() / "contract.yaml";
  auto json_file = dir.path() / "contract.json";
  std::ofstream{yaml} << bsm::test::contract_review_yaml;
  std::ofstream{json_file} << bsm::test::contract_review_json;
  auto a = w::load_definition(yaml);
  auto b = w::load_definition(json_file);
  ASSERT_TRUE(a) << bsm::render(a.error());
  ASSERT_TRUE(b) << bsm::render(b.error());
  EXPECT_EQ(w::to_json(*a), w::to_json(*b));
  auto missing = w::load_definition(dir.path() / "none.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(bsm::render(missing.error()).find("none.yaml: cannot be read"),
            std::string::npos);
  auto broken = dir.path() / "broken.json";
  std::ofstream{broken} << "{\"name\": ";
  auto bad = w::load_definition(broken);
  ASSERT_FALSE(bad);
  EXPECT_NE(bsm::render(bad.error()).find("broken.json: not valid JSON"),
            std::string::npos);
  auto wrong = dir.path() / "wrong.json";
  std::ofstream{wrong} << R"({"name": "x"})";
  auto no_steps = w::load_definition(wrong);
  ASSERT_FALSE(no_steps);
  EXPECT_EQ(bsm::render(no_steps.error()),
            "invalid_argument: " + wrong.string() + ": steps: missing");
}

} // namespace
