// The A2A tasks of a node: found by their owner only, ended once,
// canceled while working only, and bounded by count and by bytes.

#include "gateway/a2a_tasks.hpp"

#include <gtest/gtest.h>

namespace {

namespace gw = bsm::gateway;

TEST(A2aTasks, ATaskIsFoundByItsOwnerAndAgentOnly) {
  gw::a2a_tasks tasks{10, 1000};
  tasks.open("t-1", "token:alice", "runner", "s-1");
  auto mine = tasks.find("t-1", "token:alice", "runner");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->state, gw::task_state::working);
  EXPECT_EQ(mine->context_id, "s-1");
  EXPECT_FALSE(tasks.find("t-1", "token:bob", "runner"));
  EXPECT_FALSE(tasks.find("t-1", "token:alice", "legal"));
  EXPECT_FALSE(tasks.find("t-2", "token:alice", "runner"));
  auto theirs = tasks.cancel("t-1", "token:bob", "runner");
  EXPECT_EQ(std::get<gw::rpc_failure>(theirs).code,
            gw::a2a_code::task_not_found);
}

TEST(A2aTasks, EndsOnceAndACanceledTaskStaysCanceled) {
  gw::a2a_tasks tasks{10, 1000};
  tasks.open("t-1", "a", "runner", "s-1");
  auto done = tasks.complete("t-1", "42");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, gw::task_state::completed);
  EXPECT_EQ(done->answer, "42");
  EXPECT_EQ(tasks.fail("t-1", "late")->state, gw::task_state::completed);
  auto refused = tasks.cancel("t-1", "a", "runner");
  EXPECT_EQ(std::get<gw::rpc_failure>(refused).code,
            gw::a2a_code::task_not_cancelable);
  tasks.open("t-2", "a", "runner", "s-1");
  auto canceled = tasks.cancel("t-2", "a", "runner");
  ASSERT_TRUE(std::holds_alternative<gw::task_view>(canceled));
  EXPECT_EQ(std::get<gw::task_view>(canceled).state, gw::task_state::canceled);
  EXPECT_EQ(tasks.complete("t-2", "answer")->state, gw::task_state::canceled);
  EXPECT_EQ(tasks.find("t-2", "a", "runner")->answer, "");
  tasks.open("t-3", "a", "runner", "s-1");
  auto failed = tasks.fail("t-3", "the agent is restarting");
  EXPECT_EQ(failed->state, gw::task_state::failed);
  EXPECT_EQ(failed->error, "the agent is restarting");
}

TEST(A2aTasks, ForgetsTheOldestBeyondItsCount) {
  gw::a2a_tasks tasks{2, 1000};
  tasks.open("t-1", "a", "x", "s");
  tasks.open("t-2", "a", "x", "s");
  tasks.open("t-3", "a", "x", "s");
  EXPECT_EQ(tasks.size(), 2u);
  EXPECT_FALSE(tasks.find("t-1", "a", "x"));
  EXPECT_TRUE(tasks.find("t-3", "a", "x"));
  EXPECT_FALSE(tasks.complete("t-1", "gone"));
}

TEST(A2aTasks, ForgetsOlderTasksBeyondItsBytes) {
  gw::a2a_tasks tasks{10, 400};
  tasks.open("t-1", "a", "x", "s");
  tasks.open("t-2", "a", "x", "s");
  tasks.complete("t-1", std::string(150, 'a'));
  EXPECT_TRUE(tasks.find("t-1", "a", "x"));
  tasks.complete("t-2", std::string(150, 'b'));
  EXPECT_FALSE(tasks.find("t-1", "a", "x"));
  EXPECT_EQ(tasks.find("t-2", "a", "x")->answer, std::string(150, 'b'));
  EXPECT_LE(tasks.bytes(), 400u);
}

TEST(A2aTasks, AnAnswerLargerThanTheBudgetFailsTheTask) {
  gw::a2a_tasks tasks{10, 1024};
  tasks.open("t-1", "a", "x", "s");
  auto ended = tasks.complete("t-1", std::string(2000, 'y'));
  EXPECT_EQ(ended->state, gw::task_state::failed);
  EXPECT_NE(ended->error.find("a2a.max_task_bytes"), std::string::npos);
  EXPECT_EQ(ended->answer, "");
  EXPECT_LE(tasks.bytes(), 1024u);
}

} // namespace
