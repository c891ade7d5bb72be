// The MCP client's answers to a server's requests (agents/mcp/
// server_requests.hpp, sampling.hpp): elicitation defaults and policies,
// roots, progress, and the sampling translation, without a server.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agents/mcp/sampling.hpp"
#include "agents/mcp/server_requests.hpp"
#include "runtime/error.hpp"

namespace {

using json = nlohmann::json;
using namespace bsm::mcp;

// The schema of the conformance suite's elicitation-sep1034 scenario.
const char* sep1034_schema = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "default": "John Doe"},
    "age": {"type": "integer", "default": 30},
    "score": {"type": "number", "default": 95.5},
    "status": {"type": "string", "enum": ["active", "inactive", "pending"],
               "default": "active"},
    "verified": {"type": "boolean", "default": true}
  },
  "required": []
})";

json params_with(const std::string& schema) {
  return {{"message", "please"}, {"requestedSchema", json::parse(schema)}};
}

TEST(ElicitationDefaults, FillsEveryTypeFromItsDefault) {
  auto content = form_defaults(sep1034_schema);
  ASSERT_TRUE(content);
  EXPECT_EQ(json::parse(*content), json::parse(R"({"name":"John Doe",
    "age":30,"score":95.5,"status":"active","verified":true})"));
}

TEST(ElicitationDefaults, LeavesOutOptionalFieldsWithoutDefault) {
  auto content = form_defaults(R"({"type":"object","properties":{
    "a":{"type":"string"},"b":{"type":"integer","default":2}}})");
  ASSERT_TRUE(content);
  EXPECT_EQ(json::parse(*content), json::parse(R"({"b":2})"));
}

TEST(ElicitationDefaults, GivesUpOnARequiredFieldWithoutDefault) {
  EXPECT_FALSE(form_defaults(R"({"type":"object","properties":{
    "a":{"type":"string"},"b":{"type":"integer","default":2}},
    "required":["a"]})"));
  EXPECT_TRUE(form_defaults(R"({"type":"object","properties":{
    "b":{"type":"integer","default":2}},"required":["b"]})"));
}

TEST(ElicitationDefaults, GivesUpOnADefaultThatDoesNotFit) {
  for (
    const auto* prop :
    {R"({"type":"integer","default":2.5})",
     R"({"type":"integer","default":"2"})",
     R"({"type":"number","default":"x"})", R"({"type":"boolean","default":1})",
     R"({"type":"string","default":3})",
     R"({"type":"string","enum":["a","b"],"default":"c"})",
     R"({"type":"string","oneOf":[{"const":"a","title":"A"}],"default":"b"})",
     R"({"type":"array","items":{"enum":["a"]},"default":["a","z"]})"}) {
    SCOPED_TRACE(prop);
    EXPECT_FALSE(form_defaults(R"({"type":"object","properties":{"x":)"
                               + std::string{prop} + "}}"));
  }
  // Whole floats are integers; titled and multi-select enums work.
  auto content = form_defaults(R"({"type":"object","properties":{
    "i":{"type":"integer","default":3.0},
    "t":{"type":"string","oneOf":[{"const":"a","title":"A"}],"default":"a"},
    "m":{"type":"array","items":{"enum":["a","b"]},"default":["b"]}}})");
  ASSERT_TRUE(content);
  EXPECT_EQ(json::parse(*content)["m"], json::parse(R"(["b"])"));
}

TEST(ElicitationDefaults, GivesUpOnSchemasOfTheWrongShape) {
  EXPECT_FALSE(form_defaults("not json"));
  EXPECT_FALSE(form_defaults("[]"));
  EXPECT_FALSE(form_defaults(R"({"properties":[]})"));
  EXPECT_FALSE(form_defaults(R"({"properties":{"a":1}})"));
  EXPECT_FALSE(form_defaults(R"({"properties":{},"required":"a"})"));
  EXPECT_EQ(form_defaults(R"({"type":"object"})"), std::string{"{}"});
}

TEST(ElicitationAnswer, DefaultsAcceptsWithTheDefaults) {
  auto a = answer_elicitation(elicitation_policy::defaults,
                              params_with(sep1034_schema).dump());
  ASSERT_FALSE(a.failed()) << a.message;
  auto result = json::parse(a.result_json);
  EXPECT_EQ(result["action"], "accept");
  EXPECT_EQ(result["content"]["age"], 30);
}

TEST(ElicitationAnswer, DefaultsDeclinesWhatItCannotFill) {
  auto a = answer_elicitation(
    elicitation_policy::defaults,
    params_with(R"({"type":"object","properties":{"a":{"type":"string"}},
                   "required":["a"]})")
      .dump());
  ASSERT_FALSE(a.failed()) << a.message;
  EXPECT_EQ(json::parse(a.result_json), json::parse(R"({"action":"decline"})"));
  // URL mode needs a person at a browser.
  auto url = answer_elicitation(
    elicitation_policy::defaults,
    R"({"mode":"url","message":"sign in","url":"https://x","elicitationId":"1"})");
  ASSERT_FALSE(url.failed()) << url.message;
  EXPECT_EQ(json::parse(url.result_json)["action"], "decline");
}

TEST(ElicitationAnswer, DeclineDeclinesEvenWithDefaults) {
  auto a = answer_elicitation(elicitation_policy::decline,
                              params_with(sep1034_schema).dump());
  ASSERT_FALSE(a.failed()) << a.message;
  EXPECT_EQ(json::parse(a.result_json), json::parse(R"({"action":"decline"})"));
}

TEST(ElicitationAnswer, RefusesParamsOfTheWrongShape) {
  for (const auto* params :
       {"[]", "nope", R"({"message":"x"})", R"({"requestedSchema":"x"})"}) {
    SCOPED_TRACE(params);
    auto a = answer_elicitation(elicitation_policy::defaults, params);
    EXPECT_TRUE(a.failed());
    EXPECT_EQ(a.code, rpc_invalid_params);
  }
}

TEST(ElicitationPolicy, ParsesItsNames) {
  EXPECT_EQ(parse_elicitation_policy("decline"), elicitation_policy::decline);
  EXPECT_EQ(parse_elicitation_policy("defaults"), elicitation_policy::defaults);
  EXPECT_EQ(parse_elicitation_policy("ask"), elicitation_policy::ask);
  EXPECT_FALSE(parse_elicitation_policy("Decline"));
  EXPECT_FALSE(parse_elicitation_policy("prompt"));
  EXPECT_EQ(to_string(elicitation_policy::defaults), "defaults");
  EXPECT_EQ(to_string(elicitation_policy::ask), "ask");
}

TEST(ElicitationForm, ParsesTheMessageAndSchemaOfAFormRequest) {
  auto form = parse_form_request(params_with(sep1034_schema).dump());
  ASSERT_TRUE(std::holds_alternative<form_request>(form));
  const auto& request = std::get<form_request>(form);
  EXPECT_EQ(request.message, "please");
  EXPECT_EQ(json::parse(request.schema_json), json::parse(sep1034_schema));
}

TEST(ElicitationForm, DeclinesUrlModeAndRefusesWrongShapes) {
  auto url = parse_form_request(
    R"({"mode":"url","url":"https://x.example","message":"go"})");
  ASSERT_TRUE(std::holds_alternative<rpc_answer>(url));
  EXPECT_EQ(json::parse(std::get<rpc_answer>(url).result_json),
            json::parse(R"({"action":"decline"})"));
  auto bad = parse_form_request(R"({"message":"x"})");
  ASSERT_TRUE(std::holds_alternative<rpc_answer>(bad));
  EXPECT_EQ(std::get<rpc_answer>(bad).code, rpc_invalid_params);
}

TEST(ElicitationForm, AcceptsContentThatFillsTheForm) {
  EXPECT_EQ(form_problem(sep1034_schema, R"({"name":"Ada","age":36,
    "score":1.5,"status":"pending","verified":false})"),
            "");
  EXPECT_EQ(form_problem(sep1034_schema, "{}"), "");
}

TEST(ElicitationForm, NamesWhatDoesNotFit) {
  const char* schema = R"({"type":"object","properties":{
    "name":{"type":"string"},"n":{"type":"integer"},
    "color":{"type":"string","enum":["red","blue"]}},"required":["name"]})";
  EXPECT_NE(form_problem(schema, R"({"n":1})").find("required field 'name'"),
            std::string::npos);
  EXPECT_NE(form_problem(schema, R"({"name":"x","n":1.5})").find("field 'n'"),
            std::string::npos);
  EXPECT_NE(
    form_problem(schema, R"({"name":"x","color":"green"})").find("'color'"),
    std::string::npos);
  EXPECT_NE(
    form_problem(schema, R"({"name":"x","extra":1})").find("no field 'extra'"),
    std::string::npos);
  EXPECT_NE(form_problem(schema, "[]").find("not a JSON object"),
            std::string::npos);
}

TEST(ElicitationForm, TheAnswerOfASettledQuestion) {
  EXPECT_EQ(json::parse(answer_of_question("accept", R"({"a":1})").result_json),
            json::parse(R"({"action":"accept","content":{"a":1}})"));
  EXPECT_EQ(json::parse(answer_of_question("cancel", "").result_json),
            json::parse(R"({"action":"cancel"})"));
  EXPECT_EQ(json::parse(answer_of_question("decline", "").result_json),
            json::parse(R"({"action":"decline"})"));
}

TEST(Roots, ListsUrisAndNames) {
  auto result = json::parse(
    roots_result({{"file:///srv/a", "a"}, {"file:///srv/b", ""}}));
  EXPECT_EQ(result, json::parse(R"({"roots":[{"uri":"file:///srv/a",
    "name":"a"},{"uri":"file:///srv/b"}]})"));
  EXPECT_EQ(json::parse(roots_result({})), json::parse(R"({"roots":[]})"));
}

TEST(Roots, OnlyFileUris) {
  EXPECT_EQ(root_uri_problem("file:///srv/a"), "");
  EXPECT_NE(root_uri_problem("/srv/a"), "");
  EXPECT_NE(root_uri_problem("https://x/y"), "");
  EXPECT_NE(root_uri_problem("file://"), "");
  EXPECT_NE(root_uri_problem("file:///a b"), "");
}

TEST(Progress, ParsesTokenProgressTotalAndMessage) {
  auto p = parse_progress(
    R"({"progressToken":"bsm-1","progress":2,"total":5,"message":"two"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->token_json, R"("bsm-1")");
  EXPECT_EQ(p->progress, 2);
  EXPECT_EQ(p->total, 5);
  EXPECT_EQ(p->message, "two");
  auto bare = parse_progress(R"({"progressToken":7,"progress":0.5})");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->token_json, "7");
  EXPECT_FALSE(bare->total);
  EXPECT_FALSE(parse_progress(R"({"progress":1})"));
  EXPECT_FALSE(parse_progress(R"({"progressToken":"a","progress":"1"})"));
  EXPECT_FALSE(parse_progress("[]"));
}

bsm::v1::ModelSettings agent_model(uint32_t max_tokens = 0) {
  bsm::v1::ModelSettings m;
  m.set_provider("local");
  m.set_name("local");
  m.set_max_tokens(max_tokens);
  return m;
}

TEST(Sampling, TranslatesMessagesSystemPromptAndLimits) {
  auto req = sampling_request(R"({
    "messages": [
      {"role": "user", "content": {"type": "text", "text": "hi"}},
      {"role": "assistant", "content": [{"type": "text", "text": "a"},
                                        {"type": "text", "text": "b"}]}],
    "systemPrompt": "be brief", "maxTokens": 50, "temperature": 0.2})",
                              agent_model(100));
  ASSERT_TRUE(req) << bsm::render(req.error());
  ASSERT_EQ(req->messages_size(), 3);
  EXPECT_EQ(req->messages(0).role(), "system");
  EXPECT_EQ(req->messages(0).content(), "be brief");
  EXPECT_EQ(req->messages(1).role(), "user");
  EXPECT_EQ(req->messages(1).content(), "hi");
  EXPECT_EQ(req->messages(2).content(), "a\nb");
  EXPECT_EQ(req->model().provider(), "local");
  EXPECT_EQ(req->model().max_tokens(), 50u);
  EXPECT_DOUBLE_EQ(req->model().temperature(), 0.2);
  EXPECT_EQ(req->tools_size(), 0);
  // The agent's own lower limit stays.
  auto low = sampling_request(
    R"({"messages":[{"role":"user","content":{"type":"text","text":"x"}}],
        "maxTokens":500})",
    agent_model(100));
  ASSERT_TRUE(low);
  EXPECT_EQ(low->model().max_tokens(), 100u);
}

TEST(Sampling, RefusesWhatItCannotAsk) {
  for (
    const auto* params :
    {"[]", R"({"messages":[],"maxTokens":5})",
     R"({"messages":[{"role":"user","content":{"type":"text","text":"x"}}]})",
     R"({"messages":[{"role":"user","content":{"type":"text","text":"x"}}],"maxTokens":0})",
     R"({"messages":[{"role":"system","content":{"type":"text","text":"x"}}],"maxTokens":5})",
     R"({"messages":[{"role":"user","content":{"type":"image","data":"x","mimeType":"image/png"}}],"maxTokens":5})",
     R"({"messages":[{"role":"user","content":{"type":"text","text":"x"}}],"maxTokens":5,"tools":[]})"}) {
    SCOPED_TRACE(params);
    auto req = sampling_request(params, agent_model());
    ASSERT_FALSE(req);
    EXPECT_TRUE(bsm::is(req.error(), bsm::errc::invalid_argument));
  }
}

TEST(Sampling, ResultIsTheAssistantsText) {
  bsm::v1::ModelResponse resp;
  resp.mutable_message()->set_content("42");
  resp.set_model("local");
  resp.set_finish_reason("stop");
  auto result = json::parse(sampling_result(resp));
  EXPECT_EQ(result, json::parse(R"({"role":"assistant","content":{
    "type":"text","text":"42"},"model":"local","stopReason":"endTurn"})"));
  resp.set_finish_reason("length");
  EXPECT_EQ(json::parse(sampling_result(resp))["stopReason"], "maxTokens");
}

} // namespace
