// The session routes' paging parameters and JSON shapes (API.md, "Agents").

#include "http_api/session_page.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

using bsm::http_handlers::page_limit;
using bsm::http_handlers::turn_cursor;

TEST(SessionPage, LimitDefaultsAndIsClampedToOneAndTheMost) {
  EXPECT_EQ(*page_limit(std::nullopt), 20u);
  EXPECT_EQ(*page_limit("7"), 7u);
  EXPECT_EQ(*page_limit("0"), 1u);
  EXPECT_EQ(*page_limit("1000"), 1000u);
  EXPECT_EQ(*page_limit("1001"), 1000u);
  EXPECT_EQ(*page_limit("99999999999999999999999999"), 1000u);
  for (const char* bad : {"", "-1", "ten", "5 ", "0x10"}) {
    auto got = page_limit(std::string{bad});
    ASSERT_FALSE(got) << bad;
    EXPECT_TRUE(bsm::is(got.error(), bsm::errc::invalid_argument));
  }
}

TEST(SessionPage, TurnCursorIsATurnNumber) {
  EXPECT_EQ(*turn_cursor(std::nullopt), 0u);
  EXPECT_EQ(*turn_cursor("0"), 0u);
  EXPECT_EQ(*turn_cursor("42"), 42u);
  EXPECT_EQ(*turn_cursor("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "18446744073709551616", "4.2", "a"}) {
    auto got = turn_cursor(std::string{bad});
    ASSERT_FALSE(got) << bad;
    EXPECT_TRUE(bsm::is(got.error(), bsm::errc::invalid_argument));
  }
}

TEST(SessionPage, ListShowsEachSessionWithItsOwner) {
  bsm::v1::SessionListResponse list;
  auto* s = list.add_sessions();
  s->set_session_id("s1");
  s->set_last_seq(4);
  s->set_last_activity_unix_ms(1'764'000'000'123);
  auto json = bsm::http_handlers::sessions_json(list, "node-c");
  ASSERT_EQ(json["sessions"].size(), 1u);
  const auto& x = json["sessions"][0];
  EXPECT_EQ(x.size(), 4u);
  EXPECT_EQ(x["session_id"], "s1");
  EXPECT_EQ(x["turns"], 4);
  EXPECT_EQ(x["last_activity"], "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(x["node"], "node-c");
  EXPECT_EQ(bsm::http_handlers::sessions_json({}, "n")["sessions"].size(), 0u);
}

TEST(SessionPage, TurnsHaveTheContractsFields) {
  bsm::v1::SessionPageResponse page;
  page.set_found(true);
  auto* t = page.add_turns();
  t->set_seq(1);
  t->set_role("user");
  t->set_content("hello");
  t->set_time_unix_ms(1'764'000'000'123);
  auto json = bsm::http_handlers::session_json("s1", page);
  EXPECT_EQ(json["session_id"], "s1");
  ASSERT_EQ(json["turns"].size(), 1u);
  const auto& x = json["turns"][0];
  EXPECT_EQ(x.size(), 5u);
  EXPECT_EQ(x["role"], "user");
  EXPECT_EQ(x["content"], "hello");
  EXPECT_TRUE(x["tool_calls"].is_array());
  EXPECT_TRUE(x["usage"].is_null());
  EXPECT_EQ(x["time"], "2025-11-24T16:00:00.123Z");
}

TEST(SessionPage, AnAnswersToolCallsAndUsageAreShown) {
  bsm::v1::SessionPageResponse page;
  page.set_found(true);
  auto* t = page.add_turns();
  t->set_seq(2);
  t->set_role("assistant");
  t->set_content("done");
  auto* step = t->add_steps();
  step->set_tool("memory_put");
  step->set_arguments_json(R"({"key":"k"})");
  step->set_result("ok");
  t->mutable_usage()->set_total_tokens(12);
  auto x = bsm::http_handlers::session_json("s1", page)["turns"][0];
  ASSERT_EQ(x["tool_calls"].size(), 1u);
  EXPECT_EQ(x["tool_calls"][0]["tool"], "memory_put");
  EXPECT_EQ(x["tool_calls"][0]["arguments"]["key"], "k");
  EXPECT_EQ(x["tool_calls"][0]["result"], "ok");
  EXPECT_EQ(x["usage"]["total_tokens"], 12);
}

} // namespace
