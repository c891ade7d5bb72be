#include "agents/models/openai_json.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/error.hpp"

using nlohmann::json;

namespace models = bsm::models;

namespace {

bsm::v1::ChatMessage message(const std::string& role,
                             const std::string& content) {
  bsm::v1::ChatMessage msg;
  msg.set_role(role);
  msg.set_content(content);
  return msg;
}

bsm::v1::ModelRequest request_with_knowledge() {
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_provider("openai");
  req.mutable_model()->set_name("gpt-4o-mini");
  *req.add_messages() = message("system", "You are terse.");
  *req.add_messages() = message("user", "What is BSM?");
  auto* k = req.add_knowledge();
  k->set_source("guide.md");
  k->set_title("Intro");
  k->set_text("BSM is an actor runtime.");
  k = req.add_knowledge();
  k->set_source("faq.md");
  k->set_text("It uses CAF.");
  return req;
}

/// A forwarded piece as text: content as it is; a tool call's first
/// fragment "#<index> <id> <name> <arguments>", a later one
/// "#<index> +<arguments>".
std::string text_of(const bsm::v1::ChatDelta& piece) {
  if (!piece.has_tool_call_fragment())
    return piece.content();
  const auto& x = piece.tool_call_fragment();
  auto head = "#" + std::to_string(x.index()) + " ";
  if (x.id().empty() && x.name().empty())
    return head + "+" + x.arguments();
  return head + x.id() + " " + x.name() + " " + x.arguments();
}

/// Feeds every event of `chunks` and returns the forwarded pieces.
std::vector<std::string> feed_all(models::stream_accumulator& acc,
                                  const std::vector<std::string>& chunks) {
  std::vector<std::string> pieces;
  for (const auto& chunk : chunks) {
    auto forwarded = acc.feed(chunk);
    EXPECT_TRUE(forwarded) << bsm::render(forwarded.error());
    if (forwarded)
      for (const auto& piece : *forwarded)
        pieces.push_back(text_of(piece));
  }
  return pieces;
}

} // namespace

// -- messages and tools -------------------------------------------------------

TEST(OpenAiJson, AssistantToolCallsHaveNullContentAndStringArguments) {
  auto msg = message("assistant", "");
  auto* call = msg.add_tool_calls();
  call->set_id("call_1");
  call->set_name("get_weather");
  call->set_arguments_json(R"({"city":"Oslo"})");
  auto x = models::to_json(msg);
  EXPECT_TRUE(x["content"].is_null());
  ASSERT_EQ(x["tool_calls"].size(), 1u);
  EXPECT_EQ(x["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(x["tool_calls"][0]["type"], "function");
  EXPECT_EQ(x["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(x["tool_calls"][0]["function"]["arguments"], R"({"city":"Oslo"})");
}

TEST(OpenAiJson, ToolMessageCarriesToolCallIdButNoName) {
  auto msg = message("tool", "12 degrees");
  msg.set_tool_call_id("call_1");
  msg.set_name("get_weather");
  auto x = models::to_json(msg);
  EXPECT_EQ(x["role"], "tool");
  EXPECT_EQ(x["content"], "12 degrees");
  EXPECT_EQ(x["tool_call_id"], "call_1");
  EXPECT_FALSE(x.contains("name"));
}

TEST(OpenAiJson, MessageRoundTripsThroughJson) {
  auto msg = message("assistant", "Let me check.");
  auto* call = msg.add_tool_calls();
  call->set_id("call_9");
  call->set_name("lookup");
  call->set_arguments_json("{}");
  auto back = models::message_from_json(models::to_json(msg));
  ASSERT_TRUE(back) << bsm::render(back.error());
  EXPECT_EQ(back->SerializeAsString(), msg.SerializeAsString());
}

TEST(OpenAiJson, ReadsClientMessagesOfEveryShape) {
  auto dev = models::message_from_json(
    json{{"role", "developer"}, {"content", "Be brief."}});
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->role(), "system");
  auto parts = models::message_from_json(json::parse(
    R"({"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"refusal":null})"));
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->content(), "a\nb");
  auto calls = models::message_from_json(json::parse(
    R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]})"));
  ASSERT_TRUE(calls);
  EXPECT_EQ(calls->content(), "");
  ASSERT_EQ(calls->tool_calls_size(), 1);
  EXPECT_EQ(calls->tool_calls(0).arguments_json(), R"({"x":1})");
  auto tool = models::message_from_json(
    json{{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "ok"}});
  ASSERT_TRUE(tool);
  EXPECT_EQ(tool->tool_call_id(), "c1");
}

TEST(OpenAiJson, RefusesMalformedClientMessages) {
  auto fails = [](const char* text) {
    auto x = models::message_from_json(json::parse(text));
    return !x && bsm::is(x.error(), bsm::errc::invalid_argument);
  };
  EXPECT_TRUE(fails(R"({"role":"robot","content":"hi"})"));
  EXPECT_TRUE(fails(R"({"content":"hi"})"));
  EXPECT_TRUE(fails(R"({"role":"user","content":null})"));
  EXPECT_TRUE(fails(R"({"role":"user","content":42})"));
  EXPECT_TRUE(fails(
    R"({"role":"user","content":[{"type":"image_url","image_url":{}}]})"));
  EXPECT_TRUE(fails(R"({"role":"tool","content":"x"})"));
  EXPECT_TRUE(fails(R"({"role":"assistant","tool_calls":[{"id":"c"}]})"));
  EXPECT_TRUE(fails(R"(["not", "an", "object"])"));
}

TEST(OpenAiJson, ToolSpecRoundTripsAndEmptyParametersBecomeAnObjectSchema) {
  bsm::v1::ToolSpec tool;
  tool.set_name("get_weather");
  tool.set_description("Weather by city");
  tool.set_parameters_json(
    R"({"type":"object","properties":{"city":{"type":"string"}}})");
  auto x = models::to_json(tool);
  EXPECT_EQ(x["type"], "function");
  EXPECT_EQ(x["function"]["parameters"]["properties"]["city"]["type"],
            "string");
  auto back = models::tool_from_json(x);
  ASSERT_TRUE(back) << bsm::render(back.error());
  EXPECT_EQ(back->name(), "get_weather");
  EXPECT_EQ(json::parse(back->parameters_json()),
            json::parse(tool.parameters_json()));
  tool.set_parameters_json("{}");
  EXPECT_EQ(models::to_json(tool)["function"]["parameters"],
            json::parse(R"({"type":"object","properties":{}})"));
}

TEST(OpenAiJson, RefusesBadClientTools) {
  EXPECT_FALSE(models::tool_from_json(
    json::parse(R"({"type":"function","function":{"name":"has space"}})")));
  EXPECT_FALSE(models::tool_from_json(
    json::parse(R"({"type":"retrieval","function":{"name":"x"}})")));
  EXPECT_FALSE(models::tool_from_json(json::parse(
    R"({"type":"function","function":{"name":"x","parameters":"{}"}})")));
  auto none = models::tool_from_json(
    json::parse(R"({"type":"function","function":{"name":"x"}})"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->parameters_json(), "{}");
}

// -- requests -----------------------------------------------------------------

TEST(OpenAiJson, RequestPutsKnowledgeAfterLeadingSystemMessages) {
  auto req = request_with_knowledge();
  req.mutable_model()->set_temperature(0.25);
  req.mutable_model()->set_max_tokens(100);
  auto body = models::to_chat_request(req, false);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][0]["content"], "You are terse.");
  EXPECT_EQ(body["messages"][1]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"],
            "Relevant knowledge:\n[1] guide.md \u2014 Intro\nBSM is an actor "
            "runtime.\n\n[2] faq.md\nIt uses CAF.");
  EXPECT_EQ(body["messages"][2]["role"], "user");
  EXPECT_EQ(body["temperature"], 0.25);
  EXPECT_EQ(body["max_tokens"], 100);
  EXPECT_EQ(body["stream"], false);
  EXPECT_FALSE(body.contains("stream_options"));
  EXPECT_FALSE(body.contains("tools"));
}

TEST(OpenAiJson, StreamingRequestAsksForUsageAndOmitsUnsetSettings) {
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_name("llama3.1");
  *req.add_messages() = message("user", "hi");
  auto* tool = req.add_tools();
  tool->set_name("echo");
  auto body = models::to_chat_request(req, true);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("max_tokens"));
  ASSERT_EQ(body["tools"].size(), 1u);
  EXPECT_EQ(body["tools"][0]["function"]["name"], "echo");
  ASSERT_EQ(body["messages"].size(), 1u);
}

TEST(OpenAiJson, ToolChoiceAndParallelCallsGoToTheUpstreamWithTools) {
  bsm::v1::ModelRequest req;
  req.mutable_model()->set_name("gpt-4o-mini");
  *req.add_messages() = message("user", "hi");
  auto* gen = req.mutable_generation();
  gen->mutable_tool_choice()->set_mode("function");
  gen->mutable_tool_choice()->set_function("extract");
  gen->set_parallel_tool_calls(false);
  // Without tools OpenAI refuses a tool choice: none is sent.
  auto bare = models::to_chat_request(req, false);
  EXPECT_FALSE(bare.contains("tool_choice"));
  EXPECT_FALSE(bare.contains("parallel_tool_calls"));
  req.add_tools()->set_name("extract");
  auto body = models::to_chat_request(req, false);
  EXPECT_EQ(body["tool_choice"],
            (json{{"type", "function"}, {"function", {{"name", "extract"}}}}));
  EXPECT_EQ(body["parallel_tool_calls"], false);
  gen->mutable_tool_choice()->set_mode("required");
  EXPECT_EQ(models::to_chat_request(req, false)["tool_choice"], "required");
}

TEST(OpenAiJson, KnowledgeWithoutSystemMessageComesFirst) {
  auto req = request_with_knowledge();
  req.mutable_messages()->DeleteSubrange(0, 1);
  auto body = models::to_chat_request(req, false);
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["role"], "user");
}

// -- responses ----------------------------------------------------------------

TEST(OpenAiJson, ReadsCompletionWithToolCallsAndUsage) {
  auto res = models::from_chat_response(json::parse(R"({
    "id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024",
    "choices":[{"index":0,"message":{"role":"assistant","content":null,
      "tool_calls":[{"id":"call_a","type":"function",
        "function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
      "logprobs":null,"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})"));
  ASSERT_TRUE(res) << bsm::render(res.error());
  EXPECT_EQ(res->message().role(), "assistant");
  EXPECT_EQ(res->message().content(), "");
  ASSERT_EQ(res->message().tool_calls_size(), 1);
  EXPECT_EQ(res->message().tool_calls(0).name(), "get_weather");
  EXPECT_EQ(res->finish_reason(), "tool_calls");
  EXPECT_EQ(res->usage().prompt_tokens(), 12u);
  EXPECT_EQ(res->usage().total_tokens(), 19u);
  EXPECT_EQ(res->model(), "gpt-4o-mini-2024");
}

TEST(OpenAiJson, ReadsContentPartsAndDerivesMissingFinishReason) {
  auto res = models::from_chat_response(json::parse(
    R"({"choices":[{"message":{"content":[{"type":"text","text":"Hi"}]}}]})"));
  ASSERT_TRUE(res) << bsm::render(res.error());
  EXPECT_EQ(res->message().content(), "Hi");
  EXPECT_EQ(res->finish_reason(), "stop");
  EXPECT_EQ(res->usage().total_tokens(), 0u);
}

TEST(OpenAiJson, RefusesResponsesWithoutChoicesOrMessage) {
  for (const char* text :
       {R"({})", R"({"choices":[]})", R"({"choices":[{"index":0}]})",
        R"([1,2])", R"({"choices":[{"message":{"content":7}}]})"}) {
    auto res = models::from_chat_response(json::parse(text));
    ASSERT_FALSE(res) << text;
    EXPECT_TRUE(bsm::is(res.error(), bsm::errc::invalid_argument)) << text;
    EXPECT_NE(bsm::render(res.error()).find("upstream sent"), std::string::npos)
      << bsm::render(res.error());
  }
}

TEST(OpenAiJson, ErrorBodyBecomesItsError) {
  auto res = models::from_chat_response(json::parse(
    R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})"));
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::resource_exhausted));
  EXPECT_NE(bsm::render(res.error()).find("Rate limit reached"),
            std::string::npos);
  auto ollama = models::from_chat_response(
    json::parse(R"({"error":"model 'llama9' not found"})"));
  ASSERT_FALSE(ollama);
  EXPECT_NE(bsm::render(ollama.error()).find("model 'llama9' not found"),
            std::string::npos);
}

// -- stream accumulator -------------------------------------------------------

TEST(OpenAiJson, AccumulatesContentFinishReasonAndUsageChunk) {
  models::stream_accumulator acc;
  auto fragments = feed_all(
    acc,
    {R"({"id":"c","model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
     R"({"id":"c","choices":[{"index":0,"delta":{"content":"Hel"}}]})",
     R"({"id":"c","choices":[{"index":0,"delta":{"content":"lo"}}]})",
     R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
     R"({"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})",
     "[DONE]"});
  EXPECT_EQ(fragments, (std::vector<std::string>{"Hel", "lo"}));
  EXPECT_TRUE(acc.done());
  EXPECT_TRUE(acc.forwarded());
  auto res = acc.result();
  ASSERT_TRUE(res) << bsm::render(res.error());
  EXPECT_EQ(res->message().content(), "Hello");
  EXPECT_EQ(res->finish_reason(), "stop");
  EXPECT_EQ(res->usage().completion_tokens(), 2u);
  EXPECT_EQ(res->usage().total_tokens(), 5u);
  EXPECT_EQ(res->model(), "m1");
}

TEST(OpenAiJson, AssemblesToolCallFragmentsByIndex) {
  models::stream_accumulator acc;
  auto fragments = feed_all(
    acc,
    {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Oslo\"}"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
     "[DONE]"});
  EXPECT_TRUE(fragments.empty());
  EXPECT_FALSE(acc.forwarded());
  auto res = acc.result();
  ASSERT_TRUE(res) << bsm::render(res.error());
  ASSERT_EQ(res->message().tool_calls_size(), 2);
  EXPECT_EQ(res->message().tool_calls(0).id(), "call_a");
  EXPECT_EQ(res->message().tool_calls(0).name(), "get_weather");
  EXPECT_EQ(res->message().tool_calls(0).arguments_json(),
            R"({"city":"Oslo"})");
  EXPECT_EQ(res->message().tool_calls(1).id(), "call_b");
  EXPECT_EQ(res->message().tool_calls(1).arguments_json(), "{}");
  EXPECT_EQ(res->finish_reason(), "tool_calls");
}

// Only the calls of relayed tools (the client's) are passed on, each as its
// fragments come; the others stay inside the answer.
TEST(OpenAiJson, RelaysOnlyTheCallsOfTheNamedTools) {
  models::stream_accumulator acc{{"get_weather"}};
  auto pieces = feed_all(
    acc,
    {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me look."}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_t","type":"function","function":{"name":"memory_get","arguments":"{\"key\""}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"k\"}"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_w","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"ci"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":""}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"ty\":\"Oslo\"}"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
     "[DONE]"});
  EXPECT_EQ(pieces,
            (std::vector<std::string>{"Let me look.", "#1 call_w get_weather ",
                                      "#1 +{\"ci", "#1 +ty\":\"Oslo\"}"}));
  EXPECT_TRUE(acc.forwarded());
  auto res = acc.result();
  ASSERT_TRUE(res) << bsm::render(res.error());
  ASSERT_EQ(res->message().tool_calls_size(), 2);
  EXPECT_EQ(res->message().tool_calls(0).name(), "memory_get");
  EXPECT_EQ(res->message().tool_calls(1).arguments_json(),
            R"({"city":"Oslo"})");
}

// A call is relayed once its name is known: the first fragment then has
// the arguments so far, and the answer keeps the id the client was given.
TEST(OpenAiJson, ARelayedCallWithoutIdOrEarlyNameKeepsTheIdTheClientSaw) {
  models::stream_accumulator acc{{"get_weather"}};
  auto pieces = feed_all(
    acc,
    {R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"arguments":"{\"a\":"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"name":"get_weather","arguments":"1"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"id":"call_late","function":{"arguments":"}"}}]}}]})",
     R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"});
  EXPECT_EQ(pieces, (std::vector<std::string>{"#3 call_3 get_weather {\"a\":1",
                                              "#3 +}"}));
  auto res = acc.result();
  ASSERT_TRUE(res) << bsm::render(res.error());
  ASSERT_EQ(res->message().tool_calls_size(), 1);
  EXPECT_EQ(res->message().tool_calls(0).id(), "call_3");
  EXPECT_EQ(res->message().tool_calls(0).arguments_json(), R"({"a":1})");
}

TEST(OpenAiJson, ErrorChunkMidStreamFailsTheStream) {
  models::stream_accumulator acc;
  feed_all(acc, {R"({"choices":[{"index":0,"delta":{"content":"par"}}]})"});
  auto x = acc.feed(
    R"({"error":{"message":"The server had an error","type":"server_error"}})");
  ASSERT_FALSE(x);
  EXPECT_TRUE(bsm::is(x.error(), bsm::errc::unavailable));
  EXPECT_NE(bsm::render(x.error()).find("The server had an error"),
            std::string::npos);
}

TEST(OpenAiJson, BrokenJsonChunkIsAnError) {
  models::stream_accumulator acc;
  auto x = acc.feed(R"({"choices":[{"delta":{"content":"x"})");
  ASSERT_FALSE(x);
  EXPECT_TRUE(bsm::is(x.error(), bsm::errc::invalid_argument));
  EXPECT_FALSE(acc.feed(R"({"choices":{"delta":{}}})"));
  EXPECT_FALSE(acc.feed(R"({"choices":[{"delta":"text"}]})"));
}

TEST(OpenAiJson, StreamThatStopsEarlyIsUnavailable) {
  models::stream_accumulator acc;
  feed_all(acc, {R"({"choices":[{"index":0,"delta":{"content":"par"}}]})"});
  auto res = acc.result();
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::unavailable));
  // A finish_reason without [DONE] is a complete answer.
  feed_all(
    acc, {R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})"});
  auto done = acc.result();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->finish_reason(), "length");
  EXPECT_EQ(done->message().content(), "par");
}
