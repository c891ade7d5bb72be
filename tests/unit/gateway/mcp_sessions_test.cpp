// MCP sessions: owned by their principal, ended, expired when idle, bounded.

#include "gateway/mcp_sessions.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using bsm::gateway::mcp_sessions;

TEST(McpSessions, ASessionIsItsPrincipalsOnly) {
  mcp_sessions sessions{10, 1h};
  auto t0 = std::chrono::steady_clock::time_point{};
  auto id = sessions.open("token:alice", "2025-11-25", t0);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  auto other = sessions.open("token:alice", "2025-11-25", t0);
  ASSERT_TRUE(other);
  EXPECT_NE(*id, *other);
  auto mine = sessions.use(*id, "token:alice", t0 + 1s);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->protocol_version, "2025-11-25");
  EXPECT_FALSE(sessions.use(*id, "token:bob", t0 + 1s));
  EXPECT_FALSE(sessions.close(*id, "token:bob"));
  EXPECT_FALSE(sessions.set_log_level(*id, "token:bob", "debug"));
  EXPECT_TRUE(sessions.set_log_level(*id, "token:alice", "debug"));
  EXPECT_EQ(sessions.use(*id, "token:alice", t0 + 2s)->log_level, "debug");
  EXPECT_TRUE(sessions.close(*id, "token:alice"));
  EXPECT_FALSE(sessions.use(*id, "token:alice", t0 + 2s));
  EXPECT_FALSE(sessions.close(*id, "token:alice"));
}

TEST(McpSessions, NotesTheAgentSessionsOfItsCallsOnceAndBounded) {
  mcp_sessions sessions{10, 1h};
  auto t0 = std::chrono::steady_clock::time_point{};
  auto id = *sessions.open("p", "v", t0);
  sessions.note_agent_session(id, "p", "runner", "s-1");
  sessions.note_agent_session(id, "p", "runner", "s-1");
  sessions.note_agent_session(id, "q", "runner", "s-2");
  EXPECT_EQ(sessions.use(id, "p", t0)->agent_sessions.size(), 1u);
  for (size_t i = 0; i < bsm::gateway::max_agent_sessions + 5; ++i)
    sessions.note_agent_session(id, "p", "legal", "s-" + std::to_string(i));
  auto used = sessions.use(id, "p", t0)->agent_sessions;
  EXPECT_EQ(used.size(), bsm::gateway::max_agent_sessions);
  EXPECT_EQ(used.back().second,
            "s-" + std::to_string(bsm::gateway::max_agent_sessions + 4));
}

TEST(McpSessions, RemembersTheLatestCallsForCancellation) {
  mcp_sessions sessions{10, 1h};
  auto t0 = std::chrono::steady_clock::time_point{};
  auto id = *sessions.open("p", "v", t0);
  sessions.note_call(id, "p", {"1", "runner", "t-a"});
  // A client may reuse an id once its call ended: the newest counts.
  sessions.note_call(id, "p", {"1", "runner", "t-b"});
  sessions.note_call(id, "p", {"\"x\"", "legal", "t-c"});
  sessions.note_call(id, "q", {"2", "runner", "t-d"});
  EXPECT_EQ(sessions.find_call(id, "p", "1")->turn_id, "t-b");
  EXPECT_EQ(sessions.find_call(id, "p", "\"x\"")->agent, "legal");
  EXPECT_FALSE(sessions.find_call(id, "p", "2"));
  EXPECT_FALSE(sessions.find_call(id, "q", "1"));
  for (size_t i = 0; i < bsm::gateway::max_recent_calls; ++i)
    sessions.note_call(id, "p", {std::to_string(100 + i), "runner", "t"});
  EXPECT_FALSE(sessions.find_call(id, "p", "1"));
  EXPECT_TRUE(sessions.find_call(id, "p", "100"));
}

TEST(McpSessions, AnIdleSessionExpiresAndUseKeepsOneAlive) {
  mcp_sessions sessions{10, 10s};
  auto t0 = std::chrono::steady_clock::time_point{};
  auto kept = *sessions.open("p", "v", t0);
  auto idle = *sessions.open("p", "v", t0);
  EXPECT_TRUE(sessions.use(kept, "p", t0 + 9s));
  EXPECT_TRUE(sessions.use(kept, "p", t0 + 18s));
  EXPECT_FALSE(sessions.use(idle, "p", t0 + 18s));
  EXPECT_EQ(sessions.size(), 1u);
}

TEST(McpSessions, WhenFullIdleSessionsGoFirstThenInitializeIsRefused) {
  mcp_sessions sessions{2, 10s};
  auto t0 = std::chrono::steady_clock::time_point{};
  ASSERT_TRUE(sessions.open("p", "v", t0));
  ASSERT_TRUE(sessions.open("p", "v", t0 + 5s));
  EXPECT_FALSE(sessions.open("p", "v", t0 + 6s));
  // The first is idle for 10 s at t0 + 10s: it makes room.
  EXPECT_TRUE(sessions.open("p", "v", t0 + 10s));
  EXPECT_EQ(sessions.size(), 2u);
}

} // namespace
