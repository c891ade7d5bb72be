#include "http_api/openai_format.hpp"
#include "http_api/openai_request.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

namespace oaf = bsm::openai_format;
using json = nlohmann::json;

TEST(OpenAiFormat, ParsesARequestAndIgnoresUnknownFields) {
  auto req = oaf::parse_request(json::parse(R"({
    "model": "legal",
    "messages": [
      {"role": "developer", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
      {"role": "assistant", "content": null, "refusal": null,
       "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "get_weather",
                                    "arguments": "{\"city\":\"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather",
      "description": "Weather", "parameters": {"type": "object"}}}],
    "stream": true, "stream_options": {"include_usage": true},
    "temperature": 0.1, "user": "u-1", "parallel_tool_calls": false})"));
  ASSERT_TRUE(req) << bsm::render(req.error());
  EXPECT_EQ(req->chat.agent(), "legal");
  EXPECT_TRUE(req->stream);
  EXPECT_TRUE(req->include_usage);
  ASSERT_EQ(req->chat.messages_size(), 4);
  EXPECT_EQ(req->chat.messages(1).content(), "Hi");
  EXPECT_EQ(req->chat.messages(2).tool_calls(0).name(), "get_weather");
  EXPECT_EQ(req->chat.messages(3).tool_call_id(), "call_1");
  ASSERT_EQ(req->chat.client_tools_size(), 1);
  EXPECT_EQ(req->chat.client_tools(0).name(), "get_weather");
}

TEST(OpenAiFormat, RefusesRequestsWithoutModelOrMessages) {
  EXPECT_FALSE(oaf::parse_request(json::parse(R"({"messages":[]})")));
  EXPECT_FALSE(
    oaf::parse_request(json::parse(R"({"model":"a","messages":[]})")));
  EXPECT_FALSE(oaf::parse_request(json::parse(
    R"({"model":"a","messages":[{"role":"wizard","content":"x"}]})")));
  EXPECT_FALSE(oaf::parse_request(json::parse(
    R"({"model":"a","messages":[{"role":"user","content":"x"}],"stream":"yes"})")));
  auto no_tools = oaf::parse_request(json::parse(
    R"({"model":"a","messages":[{"role":"user","content":"x"}],
        "tools":[{"type":"function","function":{"name":"f"}}],
        "tool_choice":"none"})"));
  ASSERT_TRUE(no_tools);
  EXPECT_EQ(no_tools->chat.client_tools_size(), 0);
}

bsm::v1::ChatReply reply_with_tool_call() {
  bsm::v1::ChatReply reply;
  reply.set_turn_id("t-1");
  reply.set_finish_reason("tool_calls");
  auto* call = reply.add_tool_calls();
  call->set_id("call_7");
  call->set_name("get_weather");
  call->set_arguments_json(R"({"city":"Paris"})");
  reply.mutable_usage()->set_prompt_tokens(3);
  reply.mutable_usage()->set_completion_tokens(4);
  reply.mutable_usage()->set_total_tokens(7);
  return reply;
}

TEST(OpenAiFormat, ACompletionHasTheShapeClientsExpect) {
  auto doc = oaf::completion(reply_with_tool_call(), "legal", 1700000000);
  EXPECT_EQ(doc["id"], "chatcmpl-t-1");
  EXPECT_EQ(doc["object"], "chat.completion");
  EXPECT_EQ(doc["model"], "legal");
  const auto& choice = doc["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice["message"]["content"].is_null());
  EXPECT_EQ(choice["message"]["role"], "assistant");
  const auto& call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["arguments"], R"({"city":"Paris"})");
  EXPECT_EQ(doc["usage"]["total_tokens"], 7);
}

TEST(OpenAiFormat, ToolCallsStreamAsAHeadThenTheirArguments) {
  auto chunks = oaf::tool_call_chunks("id", "legal", 1,
                                      reply_with_tool_call().tool_calls(0), 0);
  ASSERT_EQ(chunks.size(), 2u);
  const auto& head = chunks[0]["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_EQ(head["index"], 0);
  EXPECT_EQ(head["id"], "call_7");
  EXPECT_EQ(head["type"], "function");
  EXPECT_EQ(head["function"]["name"], "get_weather");
  EXPECT_EQ(head["function"]["arguments"], "");
  const auto& args = chunks[1]["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_EQ(args["function"]["arguments"], R"({"city":"Paris"})");
  auto last = oaf::chunk("id", "legal", 1, json::object(), "stop");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  auto usage
    = oaf::usage_chunk("id", "legal", 1, reply_with_tool_call().usage());
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 3);
  EXPECT_EQ(oaf::sse_data(json{{"a", 1}}), "data: {\"a\":1}\n\n");
}

TEST(OpenAiFormat, ErrorsUseOpenAisShape) {
  auto missing = oaf::error_body(
    bsm::make_error(bsm::errc::not_found, "The model 'x' does not exist"));
  EXPECT_EQ(missing["error"]["type"], "invalid_request_error");
  EXPECT_EQ(missing["error"]["code"], "not_found");
  EXPECT_EQ(missing["error"]["param"], "model");
  EXPECT_EQ(missing["error"]["message"], "The model 'x' does not exist");
  auto late = oaf::error_body(
    bsm::make_error(bsm::errc::deadline_exceeded, "turn timeout"));
  EXPECT_EQ(late["error"]["type"], "timeout_error");
  EXPECT_TRUE(late["error"]["param"].is_null());
}

} // namespace
