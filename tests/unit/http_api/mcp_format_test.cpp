// A tools/call of /mcp as an event stream: the priming event, tool steps
// as progress (with a progress token), then the response.

#include "http_api/mcp_format.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "runtime/error.hpp"

namespace {

using json = nlohmann::json;

// The data of each "event: message" block; `ids` gets every event's id.
std::vector<json> messages_of(const std::string& bytes,
                              std::vector<std::string>* ids = nullptr) {
  std::vector<json> result;
  std::istringstream in{bytes};
  std::string line;
  bool message = false;
  while (std::getline(in, line)) {
    if (ids && line.rfind("id: ", 0) == 0)
      ids->push_back(line.substr(4));
    if (line == "event: message")
      message = true;
    else if (message && line.rfind("data: ", 0) == 0)
      result.push_back(json::parse(line.substr(6)));
    else if (line.empty())
      message = false;
  }
  return result;
}

TEST(McpFormat, ToolStepsAreProgressThenTheAnswerIsTheResponse) {
  auto f = bsm::mcp_call_events(3, "tok-1", "st");
  // The priming event: an id, the reconnection delay, empty data.
  EXPECT_EQ(f->opening("t-1"), "id: st-0\nretry: 1000\ndata: \n\n");
  bsm::v1::ChatDelta call;
  call.mutable_tool_call()->set_tool("memory_put");
  bsm::v1::ChatDelta done;
  done.mutable_tool_result()->set_tool("memory_put");
  bsm::v1::ChatDelta text;
  text.set_content("Stored ");
  auto bytes = f->piece(call);
  bytes += f->piece(text);
  bytes += f->piece(done);
  bsm::v1::ChatReply reply;
  reply.set_output("Stored it.");
  reply.set_session_id("s-9");
  bytes += f->closing(reply);
  std::vector<std::string> ids;
  auto msgs = messages_of(bytes, &ids);
  ASSERT_EQ(msgs.size(), 3u) << bytes;
  EXPECT_EQ(ids, (std::vector<std::string>{"st-1", "st-2", "st-3"}));
  EXPECT_EQ(msgs[0]["method"], "notifications/progress");
  EXPECT_EQ(msgs[0]["params"]["progressToken"], "tok-1");
  EXPECT_EQ(msgs[0]["params"]["progress"], 1);
  EXPECT_EQ(msgs[0]["params"]["message"], "calling memory_put");
  EXPECT_EQ(msgs[1]["params"]["progress"], 2);
  EXPECT_EQ(msgs[2]["id"], 3);
  EXPECT_EQ(msgs[2]["result"]["structuredContent"]["output"], "Stored it.");
  EXPECT_EQ(msgs[2]["result"]["structuredContent"]["session_id"], "s-9");
}

TEST(McpFormat, ServerProgressAndQuestionsOfTheTurnAreProgressToo) {
  auto f = bsm::mcp_call_events(3, "tok-1", "st");
  bsm::v1::ChatDelta progressed;
  auto* p = progressed.mutable_progress();
  p->set_server("files");
  p->set_tool("copy");
  p->set_progress(3);
  p->set_total(10);
  p->set_message("copied 3");
  bsm::v1::ChatDelta asked;
  asked.mutable_question()->set_id("q-1");
  asked.mutable_question()->set_message("Overwrite?");
  auto msgs = messages_of(f->piece(progressed) + f->piece(asked));
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["params"]["message"], "files__copy: 3/10 copied 3");
  EXPECT_EQ(msgs[1]["params"]["message"],
            "waiting for an answer to question q-1: Overwrite?");
}

TEST(McpFormat, AFailedTurnIsAToolErrorResult) {
  auto f = bsm::mcp_call_events("r-7", 1, "st");
  auto msgs = messages_of(f->failure(
    bsm::make_error(bsm::errc::unavailable, "node b is down"), "req-1"));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["id"], "r-7");
  EXPECT_TRUE(msgs[0]["result"]["isError"].get<bool>());
  EXPECT_NE(msgs[0]["result"]["content"][0]["text"].get<std::string>().find(
              "node b is down"),
            std::string::npos);
}

TEST(McpFormat, WithoutAProgressTokenOnlyTheResponseFollowsThePriming) {
  auto f = bsm::mcp_call_events(4, nullptr, "st");
  bsm::v1::ChatDelta call;
  call.mutable_tool_call()->set_tool("memory_put");
  EXPECT_EQ(f->piece(call), "");
  bsm::v1::ChatReply reply;
  reply.set_output("ok");
  auto msgs = messages_of(f->closing(reply));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["id"], 4);
}

TEST(McpFormat, AWholeAnswerIsThePrimingEventAndTheMessage) {
  std::vector<std::string> ids;
  auto bytes = bsm::mcp_answer_events("st", json{{"id", 5}});
  auto msgs = messages_of(bytes, &ids);
  ASSERT_EQ(msgs.size(), 1u) << bytes;
  EXPECT_EQ(msgs[0]["id"], 5);
  EXPECT_EQ(ids, (std::vector<std::string>{"st-0", "st-1"}));
  EXPECT_EQ(bytes.rfind("id: st-0\nretry: 1000\ndata: \n\n", 0), 0u);
}

} // namespace
