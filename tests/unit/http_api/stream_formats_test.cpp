#include "http_api/stream_formats.hpp"

#include <gtest/gtest.h>

#include <array>
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

ChatDelta fragment(int64_t index, const std::string& id,
                   const std::string& name, const std::string& arguments) {
  ChatDelta d;
  auto* x = d.mutable_tool_call_fragment();
  x->set_index(index);
  x->set_id(id);
  x->set_name(name);
  x->set_arguments(arguments);
  return d;
}

// The `delta.tool_calls[0]` of an event, or null.
json tool_call_of(const event& e) {
  const auto& delta = e.data["choices"][0]["delta"];
  if (!delta.contains("tool_calls"))
    return nullptr;
  EXPECT_EQ(delta["tool_calls"].size(), 1u) << e.data;
  return delta["tool_calls"][0];
}

// A turn that ended in client tool calls, each {id, name, arguments}.
ChatReply calling(std::vector<std::array<std::string, 3>> calls) {
  ChatReply r;
  r.set_finish_reason("tool_calls");
  for (const auto& [id, name, arguments] : calls) {
    auto* call = r.add_tool_calls();
    call->set_id(id);
    call->set_name(name);
    call->set_arguments_json(arguments);
  }
  return r;
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

TEST(StepEvents, FragmentsOfClientToolCallsAreNotShown) {
  auto f = bsm::agent_step_events();
  EXPECT_EQ(f->piece(fragment(0, "call_1", "get_weather", "{}")), "");
  EXPECT_EQ(f->piece(fragment(0, "", "", "more")), "");
}

TEST(StepEvents, QuestionsAndProgressOfAToolsServerAreShown) {
  auto f = bsm::agent_step_events();
  ChatDelta asked;
  auto* q = asked.mutable_question();
  q->set_id("q-1");
  q->set_agent("writer");
  q->set_server("files");
  q->set_tool("write");
  q->set_message("Overwrite?");
  q->set_schema_json(R"({"type":"object","properties":{}})");
  q->set_asked_unix_ms(1'764'000'000'000);
  q->set_deadline_unix_ms(1'764'000'060'000);
  auto events = events_of(f->piece(asked));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "question");
  EXPECT_EQ(events[0].data["id"], "q-1");
  EXPECT_EQ(events[0].data["state"], "pending");
  EXPECT_EQ(events[0].data["message"], "Overwrite?");
  EXPECT_EQ(events[0].data["deadline"], "2025-11-24T16:01:00.000Z");
  EXPECT_FALSE(events[0].data.contains("content"));
  ChatDelta progressed;
  auto* p = progressed.mutable_progress();
  p->set_server("files");
  p->set_tool("copy");
  p->set_progress(3);
  p->set_total(10);
  events = events_of(f->piece(progressed));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "progress");
  EXPECT_EQ(events[0].data, json::parse(R"({"tool":"files__copy",
    "server":"files","progress":3.0,"total":10.0})"));
  // OpenAI's stream has no place for them.
  auto openai = bsm::openai_chunks("writer", 1, false);
  EXPECT_EQ(openai->piece(asked), "");
  EXPECT_EQ(openai->piece(progressed), "");
}

TEST(ChatFormat, ASettledQuestionShowsItsAnswerInItsStep) {
  bsm::v1::ChatStep step;
  step.set_tool("files__write");
  auto* q = step.add_questions();
  q->set_id("q-1");
  q->set_action("accept");
  q->set_content_json(R"({"ok":true})");
  q->set_answered_by("alice");
  auto shown = bsm::chat_format::step(step);
  ASSERT_EQ(shown["questions"].size(), 1u);
  EXPECT_EQ(shown["questions"][0]["state"], "accepted");
  EXPECT_EQ(shown["questions"][0]["content"], json::parse(R"({"ok":true})"));
  EXPECT_EQ(shown["questions"][0]["answered_by"], "alice");
  q->set_action("decline");
  q->clear_answered_by();
  shown = bsm::chat_format::step(step);
  EXPECT_EQ(shown["questions"][0]["state"], "declined");
  EXPECT_FALSE(shown["questions"][0].contains("content"));
  EXPECT_FALSE(shown["questions"][0].contains("answered_by"));
  bsm::v1::ChatStep plain;
  EXPECT_FALSE(bsm::chat_format::step(plain).contains("questions"));
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

// Fragments become tool_calls deltas as they come: the first of a call
// with id, type and name, later ones its arguments only; the calls are
// numbered in the order they start. The end does not repeat them.
TEST(OpenAiChunks, ToolCallFragmentsAreToolCallsDeltasAsTheyCome) {
  auto f = bsm::openai_chunks("legal", 1700000000, false);
  std::string out = f->opening("t-4");
  out += f->piece(fragment(3, "call_w", "get_weather", ""));
  out += f->piece(fragment(3, "", "", R"({"city":)"));
  out += f->piece(fragment(5, "call_t", "get_time", "{}"));
  out += f->piece(fragment(3, "", "", R"("Oslo"})"));
  auto events = events_of(out);
  ASSERT_EQ(events.size(), 5u) << out;
  EXPECT_EQ(tool_call_of(events[1]),
            (json{{"index", 0},
                  {"id", "call_w"},
                  {"type", "function"},
                  {"function", {{"name", "get_weather"}, {"arguments", ""}}}}));
  EXPECT_EQ(tool_call_of(events[2]),
            (json{{"index", 0}, {"function", {{"arguments", R"({"city":)"}}}}));
  EXPECT_EQ(tool_call_of(events[3])["index"], 1);
  EXPECT_EQ(tool_call_of(events[3])["id"], "call_t");
  EXPECT_EQ(tool_call_of(events[3])["function"]["arguments"], "{}");
  EXPECT_EQ(tool_call_of(events[4]),
            (json{{"index", 0}, {"function", {{"arguments", R"("Oslo"})"}}}}));
  auto end = events_of(
    f->closing(calling({{"call_w", "get_weather", R"({"city":"Oslo"})"},
                        {"call_t", "get_time", "{}"}})));
  ASSERT_EQ(end.size(), 2u) << "the streamed calls are not written again";
  EXPECT_EQ(end[0].data["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(end[1].data, "[DONE]");
}

// A call the provider did not stream is written at the end, after the
// streamed ones.
TEST(OpenAiChunks, TheEndWritesTheCallsThatWereNotStreamed) {
  auto f = bsm::openai_chunks("legal", 1700000000, false);
  std::string out = f->opening("t-5");
  out += f->piece(fragment(1, "call_w", "get_weather", R"({"city":"Oslo"})"));
  out += f->closing(calling({{"call_m", "memory_get", R"({"key":"k"})"},
                             {"call_w", "get_weather", R"({"city":"Oslo"})"}}));
  auto events = events_of(out);
  ASSERT_EQ(events.size(), 6u) << out;
  EXPECT_EQ(tool_call_of(events[1])["id"], "call_w");
  EXPECT_EQ(tool_call_of(events[1])["index"], 0);
  EXPECT_EQ(tool_call_of(events[2]),
            (json{{"index", 1},
                  {"id", "call_m"},
                  {"type", "function"},
                  {"function", {{"name", "memory_get"}, {"arguments", ""}}}}));
  EXPECT_EQ(
    tool_call_of(events[3]),
    (json{{"index", 1}, {"function", {{"arguments", R"({"key":"k"})"}}}}));
  EXPECT_EQ(events[4].data["choices"][0]["finish_reason"], "tool_calls");
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
