// The questions an agent holds for its running turns
// (agents/questions/question_book.hpp): ids and deadlines, who may see and
// answer them, answers checked against the form, deadlines, turns ending.

#include "agents/questions/question_book.hpp"

#include <gtest/gtest.h>

#include "agents/caller.hpp"
#include "runtime/error.hpp"

namespace {

using bsm::agents::question_book;

constexpr const char* form
  = R"({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]})";

bsm::v1::Principal user(const std::string& name,
                        std::vector<std::string> grants = {}) {
  bsm::v1::Principal p;
  p.set_name(name);
  p.set_kind("user");
  for (auto& g : grants)
    p.add_permissions(g);
  return p;
}

bsm::v1::Question asked(const std::string& turn, const std::string& session,
                        int64_t deadline = 0) {
  bsm::v1::Question q;
  q.set_turn_id(turn);
  q.set_session_id(session);
  q.set_server("files");
  q.set_tool("write");
  q.set_message("Your name?");
  q.set_schema_json(form);
  q.set_deadline_unix_ms(deadline);
  return q;
}

TEST(QuestionBook, HoldsAQuestionWithItsIdAndACappedDeadline) {
  question_book book{4, 60'000};
  auto q = book.add(asked("t-1", "s-1", 1'000'000), "writer", user("alice"),
                    "q-1", 1'000);
  ASSERT_TRUE(q) << bsm::render(q.error());
  EXPECT_EQ(q->id(), "q-1");
  EXPECT_EQ(q->agent(), "writer");
  EXPECT_EQ(q->asked_unix_ms(), 1'000);
  EXPECT_EQ(q->deadline_unix_ms(), 61'000);
  EXPECT_TRUE(q->action().empty());
  auto open
    = book.add(asked("t-2", "s-1"), "writer", user("alice"), "q-2", 2'000);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->deadline_unix_ms(), 62'000);
  EXPECT_EQ(book.next_deadline(), 61'000);
}

TEST(QuestionBook, RefusesWhatItCannotHold) {
  question_book book{1, 60'000};
  auto no_turn = book.add(asked("", "s-1"), "writer", user("alice"), "q-0", 0);
  EXPECT_TRUE(bsm::is(no_turn.error(), bsm::errc::invalid_argument));
  auto q = asked("t-1", "s-1");
  q.set_schema_json("[]");
  EXPECT_TRUE(bsm::is(book.add(q, "writer", user("alice"), "q-0", 0).error(),
                      bsm::errc::invalid_argument));
  ASSERT_TRUE(book.add(asked("t-1", "s-1"), "writer", user("alice"), "q-1", 0));
  auto full = book.add(asked("t-2", "s-1"), "writer", user("alice"), "q-2", 0);
  EXPECT_TRUE(bsm::is(full.error(), bsm::errc::resource_exhausted));
}

TEST(QuestionBook, EachCallerSeesTheirOwnOrWithCancelEveryone) {
  question_book book{8, 60'000};
  ASSERT_TRUE(book.add(asked("t-1", "s-1"), "writer", user("alice"), "q-a", 2));
  ASSERT_TRUE(book.add(asked("t-2", "s-2"), "writer", user("bob"), "q-b", 1));
  auto alice = book.pending("", user("alice"));
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].id(), "q-a");
  auto admin = book.pending("", user("root", {"agents:writer:cancel"}));
  ASSERT_EQ(admin.size(), 2u);
  EXPECT_EQ(admin[0].id(), "q-b"); // asked first
  EXPECT_EQ(book.pending("s-2", user("root", {"*"})).size(), 1u);
  EXPECT_TRUE(book.pending("", bsm::agents::anonymous_principal()).empty());
}

TEST(QuestionBook, AnAnswerMustComeFromTheCallerAndFitTheForm) {
  question_book book{8, 60'000};
  ASSERT_TRUE(book.add(asked("t-1", "s-1"), "writer", user("alice"), "q-1", 0));
  auto stranger = book.answer("q-1", "decline", "", user("mallory"));
  EXPECT_TRUE(bsm::is(stranger.error(), bsm::errc::permission_denied));
  auto unfit = book.answer("q-1", "accept", R"({"age":3})", user("alice"));
  EXPECT_TRUE(bsm::is(unfit.error(), bsm::errc::invalid_argument));
  auto unknown_action = book.answer("q-1", "maybe", "", user("alice"));
  EXPECT_TRUE(bsm::is(unknown_action.error(), bsm::errc::invalid_argument));
  auto missing = book.answer("q-9", "decline", "", user("alice"));
  EXPECT_TRUE(bsm::is(missing.error(), bsm::errc::not_found));
  EXPECT_EQ(book.size(), 1u);
  auto ok = book.answer("q-1", "accept", R"({"name":"Ada"})", user("alice"));
  ASSERT_TRUE(ok) << bsm::render(ok.error());
  EXPECT_EQ(ok->action(), "accept");
  EXPECT_EQ(ok->content_json(), R"({"name":"Ada"})");
  EXPECT_EQ(ok->answered_by(), "alice");
  EXPECT_EQ(book.size(), 0u);
  auto again = book.answer("q-1", "decline", "", user("alice"));
  EXPECT_TRUE(bsm::is(again.error(), bsm::errc::not_found));
}

TEST(QuestionBook, SomeoneWithCancelMayAnswerForTheCaller) {
  question_book book{8, 60'000};
  ASSERT_TRUE(book.add(asked("t-1", "s-1"), "writer", user("alice"), "q-1", 0));
  auto ok
    = book.answer("q-1", "cancel", "", user("ops", {"agents:writer:cancel"}));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->action(), "cancel");
  EXPECT_EQ(ok->answered_by(), "ops");
}

TEST(QuestionBook, DeadlinesDeclineAndEndedTurnsCancel) {
  question_book book{8, 60'000};
  ASSERT_TRUE(
    book.add(asked("t-1", "s-1", 500), "writer", user("alice"), "q-1", 0));
  ASSERT_TRUE(
    book.add(asked("t-2", "s-1", 900), "writer", user("alice"), "q-2", 0));
  ASSERT_TRUE(
    book.add(asked("t-2", "s-1", 5'000), "writer", user("alice"), "q-3", 0));
  EXPECT_TRUE(book.expire(499).empty());
  auto late = book.expire(500);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].id(), "q-1");
  EXPECT_EQ(late[0].action(), "decline");
  EXPECT_TRUE(late[0].answered_by().empty());
  EXPECT_EQ(book.next_deadline(), 900);
  auto ended = book.end_turn("t-2");
  ASSERT_EQ(ended.size(), 2u);
  for (const auto& q : ended)
    EXPECT_EQ(q.action(), "cancel");
  EXPECT_EQ(book.size(), 0u);
  EXPECT_FALSE(book.next_deadline());
}

} // namespace
