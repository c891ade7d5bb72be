#include "http_api/stream_formats.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_api/chat_format.hpp"
#include "runtime/error.hpp"

namespace {

using json = nlohmann::json;
using bsm::v1::ChatDelta;
using bsm::v1::ChatReply;

struct event {
  std::string name;
  json data;
};

// Reads "event: x\ndata: y\n\n" blocks (name empty for data-only events).
std::vector<event> events_of(const std::string& bytes) {
  std::vector<event> result;
  std::istringstream in{bytes};
  std::string line;
  event current;
  while (std::getline(in, line)) {
    if (line.rfind("event: ", 0) == 0)
      current.name = line.substr(7);
    else if (line.rfind("data: ", 0) == 0)
      current.data = line.substr(6) == "[DONE]" ? json("[DONE]")
                                                : json::parse(line.substr(6));
    else if (line.empty()) {
      result.push_back(std::move(current));
      current = {};
    }
  }
  return result;
}

ChatDelta content(const std::string& text) {
  ChatDelta d;
  d.set_content(text);
  return d;
}

ChatReply reply(const std::string& output) {
  ChatReply r;
  r.set_agent("legal");
  r.set_session_id("s-1");
  r.set_output(output);
  r.set_finish_reason("stop");
  r.mutable_usage()->set_total_tokens(9);
  return r;
}

TEST(StepEvents, StepsAndDeltasAsTheyComeThenDoneWithTheAnswer) {
  auto f = bsm::agent_step_events();
  std::string out = f->opening("t-1");
  ChatDelta call;
  call.mutable_tool_call()->set_tool("current_time");
  call.mutable_tool_call()->set_arguments_json("{}");
  out += f->piece(call);
  ChatDelta result;
  *result.mutable_tool_result() = call.tool_call();
  result.mutable_tool_result()->set_result("12:00");
  out += f->piece(result);
  out += f->piece(content("It is "));
  out += f->piece(content("noon."));
  auto r = reply("It is noon.");
  *r.add_steps() = result.tool_result();
  out += f->closing(r);
  auto events = events_of(out);
  ASSERT_EQ(events.size(), 5u) << out;
  EXPECT_EQ(events[0].name, "tool_call");
  EXPECT_EQ(events[0].data["tool"], "current_time");
  EXPECT_FALSE(events[0].data.contains("result"));
  EXPECT_EQ(events[1].name, "tool_result");
  EXPECT_EQ(events[1].data["result"], "12:00");
  EXPECT_EQ(events[2].name, "delta");
  EXPECT_EQ(events[2].data["content"], "It is ");
  EXPECT_EQ(events[3].data["content"], "noon.");
  EXPECT_EQ(events[4].name, "done");
  EXPECT_EQ(events[4].data, bsm::chat_format::answer(r));
}

TEST(StepEvents, ATurnThatStreamedNothingStillShowsItsStepsAndOutput) {
  auto f = bsm::agent_step_events();
  auto r = reply("All of it.");
  auto* step = r.add_steps();
  step->set_tool("memory_get");
  step->set_result("v");
  auto events = events_of(f->opening("t-2") + f->closing(r));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "tool_result");
  EXPECT_EQ(events[1].name, "delta");
  EXPECT_EQ(events[1].data["content"], "All of it.");
  EXPECT_EQ(events[2].name, "done");
}

TEST(StepEvents, AnErrorIsAnErrorEventInTheApisShape) {
  auto f = bsm::agent_step_events();
  auto events = events_of(f->failure(
    bsm::make_error(bsm::errc::deadline_exceeded, "too slow"), "req-1"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "error");
  EXPECT_EQ(events[0].data["error"]["code"], "deadline_exceeded");
  EXPECT_EQ(events[0].data["error"]["request_id"], "req-1");
}

TEST(OpenAiChunks, ContentDeltasThenTheRestFinishUsageAndDone) {
  auto f = bsm::openai_chunks("legal", 1700000000, true);
  std::string out = f->opening("t-3");
  ChatDelta call;
  call.mutable_tool_call()->set_tool("current_time");
  EXPECT_EQ(f->piece(call), "") << "the turn's own steps are not OpenAI's";
  out += f->piece(content("Hello "));
  out += f->closing(reply("Hello world"));
  auto events = events_of(out);
  ASSERT_EQ(events.size(), 6u) << out;
  EXPECT_EQ(events[0].data["id"], "chatcmpl-t-3");
  EXPECT_EQ(events[0].data["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(events[1].data["choices"][0]["delta"]["content"], "Hello ");
  EXPECT_EQ(events[2].data["choices"][0]["delta"]["content"], "world");
  EXPECT_EQ(events[3].data["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(events[4].data["usage"]["total_tokens"], 9);
  EXPECT_EQ(events[5].data, "[DONE]");
}

TEST(ChatFormat, WantsAnEventStreamOnlyWhenItAsksForItAndNotForJson) {
  EXPECT_TRUE(bsm::chat_format::wants_event_stream("text/event-stream"));
  EXPECT_TRUE(bsm::chat_format::wants_event_stream("Text/Event-Stream"));
  EXPECT_FALSE(bsm::chat_format::wants_event_stream("*/*"));
  EXPECT_FALSE(bsm::chat_format::wants_event_stream(
    "application/json, text/event-stream"));
  EXPECT_FALSE(bsm::chat_format::wants_event_stream(""));
}

} // namespace
