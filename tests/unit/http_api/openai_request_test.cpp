#include "http_api/openai_request.hpp"

#include <gtest/gtest.h>

#include "http_api/openai_format.hpp"
#include "runtime/error.hpp"

namespace {

namespace oaf = bsm::openai_format;
using json = nlohmann::json;

json with(json fields) {
  json body{{"model", "legal"},
            {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  body.update(fields);
  return body;
}

// The field a refused body names, or "" if it was accepted.
std::string refused_field(const json& body) {
  std::string param = "(accepted)";
  auto req = oaf::parse_request(body, &param);
  if (req)
    return "";
  EXPECT_TRUE(bsm::is(req.error(), bsm::errc::invalid_argument));
  return param;
}

TEST(OpenAiRequest, FieldsOfTheWrongTypeOrRangeNameTheField) {
  EXPECT_EQ(refused_field(with({{"max_tokens", -5}})), "max_tokens");
  EXPECT_EQ(refused_field(with({{"max_tokens", 0}})), "max_tokens");
  EXPECT_EQ(refused_field(with({{"max_tokens", 1.5}})), "max_tokens");
  EXPECT_EQ(refused_field(with({{"max_completion_tokens", "10"}})),
            "max_completion_tokens");
  EXPECT_EQ(refused_field(with({{"temperature", "hot"}})), "temperature");
  EXPECT_EQ(refused_field(with({{"temperature", 2.5}})), "temperature");
  EXPECT_EQ(refused_field(with({{"top_p", -0.1}})), "top_p");
  EXPECT_EQ(refused_field(with({{"presence_penalty", 3}})), "presence_penalty");
  EXPECT_EQ(refused_field(with({{"stop", 5}})), "stop");
  EXPECT_EQ(refused_field(with({{"stop", {"a", "b", "c", "d", "e"}}})), "stop");
  EXPECT_EQ(refused_field(with({{"seed", "x"}})), "seed");
  EXPECT_EQ(refused_field(with({{"user", 7}})), "user");
  EXPECT_EQ(refused_field(with({{"stream", "yes"}})), "stream");
  EXPECT_EQ(refused_field(with({{"messages",
                                 {{{"role", "user"}, {"content", "x"}},
                                  {{"role", "wizard"}, {"content", "x"}}}}})),
            "messages[1]");
  EXPECT_EQ(refused_field(with({{"model", 3}})), "model");
}

TEST(OpenAiRequest, UnsupportedFieldsAreRefusedNotIgnored) {
  EXPECT_EQ(refused_field(with({{"n", 3}})), "n");
  EXPECT_EQ(refused_field(with({{"n", 0}})), "n");
  EXPECT_EQ(refused_field(with({{"n", 1}})), "");
  EXPECT_EQ(refused_field(with({{"logprobs", true}})), "logprobs");
  EXPECT_EQ(refused_field(with({{"logprobs", false}})), "");
  EXPECT_EQ(
    refused_field(with({{"stream_options", {{"include_usage", true}}}})),
    "stream_options");
}

TEST(OpenAiRequest, NullMeansNotSet) {
  EXPECT_EQ(refused_field(with({{"temperature", nullptr},
                                {"max_tokens", nullptr},
                                {"stop", nullptr},
                                {"response_format", nullptr},
                                {"stream_options", nullptr}})),
            "");
}

TEST(OpenAiRequest, GenerationSettingsReachTheTurn) {
  auto req = oaf::parse_request(
    with({{"temperature", 0.2},
          {"top_p", 0.9},
          {"max_tokens", 50},
          {"max_completion_tokens", 40},
          {"stop", "END"},
          {"seed", 7},
          {"frequency_penalty", -1},
          {"response_format", {{"type", "json_object"}}}}));
  ASSERT_TRUE(req) << bsm::render(req.error());
  const auto& gen = req->chat.generation();
  EXPECT_DOUBLE_EQ(gen.temperature(), 0.2);
  EXPECT_DOUBLE_EQ(gen.top_p(), 0.9);
  EXPECT_EQ(gen.max_tokens(), 40u);
  ASSERT_EQ(gen.stop_size(), 1);
  EXPECT_EQ(gen.stop(0), "END");
  EXPECT_EQ(gen.seed(), 7);
  EXPECT_DOUBLE_EQ(gen.frequency_penalty(), -1);
  EXPECT_FALSE(gen.has_presence_penalty());
  EXPECT_EQ(gen.response_format().type(), "json_object");
}

TEST(OpenAiRequest, ResponseFormatIsCheckedAndASchemaKept) {
  EXPECT_EQ(refused_field(with({{"response_format", "json"}})),
            "response_format");
  EXPECT_EQ(refused_field(with({{"response_format", {{"type", "yaml"}}}})),
            "response_format.type");
  EXPECT_EQ(
    refused_field(with({{"response_format", {{"type", "json_schema"}}}})),
    "response_format.json_schema");
  EXPECT_EQ(refused_field(with({{"response_format",
                                 {{"type", "json_schema"},
                                  {"json_schema", {{"strict", true}}}}}})),
            "response_format.json_schema.name");
  json schema{
    {"name", "verdict"},
    {"schema",
     {{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}}}}}};
  auto req = oaf::parse_request(with(
    {{"response_format", {{"type", "json_schema"}, {"json_schema", schema}}}}));
  ASSERT_TRUE(req);
  EXPECT_EQ(json::parse(req->chat.generation().response_format().json_schema()),
            schema);
}

TEST(OpenAiRequest, TheErrorBodyCarriesTheParam) {
  std::string param;
  auto req = oaf::parse_request(with({{"temperature", "hot"}}), &param);
  ASSERT_FALSE(req);
  auto body = oaf::error_body(req.error(), param);
  EXPECT_EQ(body["error"]["param"], "temperature");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["code"], "invalid_argument");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("temperature"),
            std::string::npos);
}

} // namespace

namespace {

json extract_tool() {
  json parameters{{"type", "object"},
                  {"properties", {{"text", {{"type", "string"}}}}},
                  {"required", {"text"}}};
  return {{"type", "function"},
          {"function", {{"name", "extract"}, {"parameters", parameters}}}};
}

json choose(const std::string& name) {
  return {{"type", "function"}, {"function", {{"name", name}}}};
}

TEST(OpenAiRequest, ToolChoiceIsCheckedAgainstTheTools) {
  auto tools = json::array({extract_tool()});
  EXPECT_EQ(refused_field(with({{"tool_choice", "required"}})), "tool_choice");
  EXPECT_EQ(
    refused_field(with({{"tool_choice", "sometimes"}, {"tools", tools}})),
    "tool_choice");
  EXPECT_EQ(
    refused_field(with({{"tool_choice", choose("other")}, {"tools", tools}})),
    "tool_choice");
  EXPECT_EQ(refused_field(with(
              {{"tool_choice", {{"type", "function"}}}, {"tools", tools}})),
            "tool_choice");
  EXPECT_EQ(refused_field(with({{"tool_choice", 3}, {"tools", tools}})),
            "tool_choice");
  EXPECT_EQ(
    refused_field(with({{"parallel_tool_calls", "no"}, {"tools", tools}})),
    "parallel_tool_calls");
  EXPECT_EQ(refused_field(with({{"tool_choice", "auto"}})), "");
  EXPECT_EQ(refused_field(with({{"tool_choice", "none"}})), "");
}

TEST(OpenAiRequest, ToolChoiceAndParallelCallsReachTheTurn) {
  auto tools = json::array({extract_tool()});
  auto named = oaf::parse_request(with({{"tools", tools},
                                        {"tool_choice", choose("extract")},
                                        {"parallel_tool_calls", false}}));
  ASSERT_TRUE(named);
  const auto& gen = named->chat.generation();
  EXPECT_EQ(gen.tool_choice().mode(), "function");
  EXPECT_EQ(gen.tool_choice().function(), "extract");
  ASSERT_TRUE(gen.has_parallel_tool_calls());
  EXPECT_FALSE(gen.parallel_tool_calls());
  auto required
    = oaf::parse_request(with({{"tools", tools}, {"tool_choice", "required"}}));
  ASSERT_TRUE(required);
  EXPECT_EQ(required->chat.generation().tool_choice().mode(), "required");
  EXPECT_FALSE(required->chat.generation().has_parallel_tool_calls());
  auto none
    = oaf::parse_request(with({{"tools", tools}, {"tool_choice", "none"}}));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->chat.client_tools_size(), 0);
}

TEST(OpenAiRequest, AProviderRefusalNamesItsField) {
  auto body = oaf::error_body(
    bsm::make_field_error(bsm::errc::invalid_argument, "tool_choice", "no"));
  EXPECT_EQ(body["error"]["param"], "tool_choice");
  EXPECT_EQ(body["error"]["message"], "no");
  EXPECT_EQ(bsm::field_of(bsm::make_error(bsm::errc::internal, "x")), "");
}

} // namespace
