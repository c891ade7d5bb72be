// A streamed A2A task: the task, the answer's pieces, then its last state,
// each a JSON-RPC response in an SSE data line; the task store learns the
// end, and a cancel that came meanwhile wins.

#include "http_api/a2a_format.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "gateway/a2a_tasks.hpp"
#include "runtime/error.hpp"

namespace {

namespace gw = bsm::gateway;
using json = nlohmann::json;

std::vector<json> results_of(const std::string& bytes) {
  std::vector<json> out;
  std::istringstream in{bytes};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("data: ", 0) == 0) {
      auto msg = json::parse(line.substr(6));
      EXPECT_EQ(msg["jsonrpc"], "2.0");
      EXPECT_EQ(msg["id"], 9);
      out.push_back(msg["result"]);
    }
  return out;
}

struct A2aStream : ::testing::Test {
  std::shared_ptr<gw::a2a_tasks> tasks
    = std::make_shared<gw::a2a_tasks>(10, 1000);
  gw::task_view task{"t-1", "s-1", gw::task_state::working, "", ""};

  std::unique_ptr<bsm::stream_format> format(gw::a2a_dialect d) {
    tasks->open(task.id, "a", "runner", task.context_id);
    return bsm::a2a_task_events(9, task, d, tasks);
  }
};

bsm::v1::ChatDelta text(const std::string& x) {
  bsm::v1::ChatDelta d;
  d.set_content(x);
  return d;
}

TEST_F(A2aStream, TheTaskThenThePiecesThenCompleted) {
  auto f = format(gw::a2a_dialect::v1);
  std::string bytes = f->opening("turn");
  bytes += f->piece(text("4"));
  bytes += f->piece(text("2"));
  bsm::v1::ChatDelta step;
  step.mutable_tool_call()->set_tool("memory_put");
  EXPECT_EQ(f->piece(step), "");
  bsm::v1::ChatReply reply;
  reply.set_output("42!");
  bytes += f->closing(reply);
  auto events = results_of(bytes);
  ASSERT_EQ(events.size(), 5u) << bytes;
  EXPECT_EQ(events[0]["task"]["status"]["state"], "TASK_STATE_WORKING");
  EXPECT_EQ(events[1]["artifactUpdate"]["append"], false);
  EXPECT_EQ(events[2]["artifactUpdate"]["append"], true);
  EXPECT_EQ(events[3]["artifactUpdate"]["artifact"]["parts"][0]["text"], "!");
  EXPECT_EQ(events[3]["artifactUpdate"]["lastChunk"], true);
  EXPECT_EQ(events[4]["statusUpdate"]["status"]["state"],
            "TASK_STATE_COMPLETED");
  EXPECT_EQ(tasks->find("t-1", "a", "runner")->answer, "42!");
}

TEST_F(A2aStream, AnUnstreamedAnswerComesWhole) {
  auto f = format(gw::a2a_dialect::v0_3);
  auto bytes = f->opening("turn");
  bsm::v1::ChatReply reply;
  reply.set_output("all at once");
  bytes += f->closing(reply);
  auto events = results_of(bytes);
  ASSERT_EQ(events.size(), 3u) << bytes;
  EXPECT_EQ(events[0]["kind"], "task");
  EXPECT_EQ(events[1]["kind"], "artifact-update");
  EXPECT_EQ(events[1]["artifact"]["parts"][0]["text"], "all at once");
  EXPECT_EQ(events[2]["status"]["state"], "completed");
  EXPECT_EQ(events[2]["final"], true);
}

TEST_F(A2aStream, ACancelMeanwhileEndsItCanceled) {
  auto f = format(gw::a2a_dialect::v1);
  f->opening("turn");
  ASSERT_TRUE(
    std::holds_alternative<gw::task_view>(tasks->cancel("t-1", "a", "runner")));
  bsm::v1::ChatReply reply;
  reply.set_output("late");
  auto events = results_of(f->closing(reply));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["statusUpdate"]["status"]["state"],
            "TASK_STATE_CANCELED");
}

TEST_F(A2aStream, AFailureIsTheFailedState) {
  auto f = format(gw::a2a_dialect::v1);
  f->opening("turn");
  auto events = results_of(f->failure(
    bsm::make_error(bsm::errc::deadline_exceeded, "the turn took too long"),
    "r-1"));
  ASSERT_EQ(events.size(), 1u);
  const auto& status = events[0]["statusUpdate"]["status"];
  EXPECT_EQ(status["state"], "TASK_STATE_FAILED");
  EXPECT_NE(
    status["message"]["parts"][0]["text"].get<std::string>().find("too long"),
    std::string::npos)
    << status;
  EXPECT_EQ(tasks->find("t-1", "a", "runner")->state, gw::task_state::failed);
}

TEST_F(A2aStream, AStreamWhoseClientLeftFailsItsTask) {
  auto f = format(gw::a2a_dialect::v1);
  f->opening("turn");
  f->piece(text("half"));
  f.reset();
  auto left = tasks->find("t-1", "a", "runner");
  ASSERT_TRUE(left);
  EXPECT_EQ(left->state, gw::task_state::failed);
  EXPECT_NE(left->error.find("client left"), std::string::npos) << left->error;
}

} // namespace
