// The JSON of GET /v1/deadletters (API.md, "Message injection").

#include "http_api/dead_letter_page.hpp"

#include <gtest/gtest.h>

namespace {

bsm::v1::DeadLetterEntry letter(const std::string& id) {
  bsm::v1::DeadLetterEntry result;
  result.set_id(id);
  auto& l = *result.mutable_letter();
  l.set_seq(3);
  l.set_error("last");
  l.set_first_error("first");
  l.set_reason(bsm::v1::DEAD_LETTER_REASON_ATTEMPTS_EXHAUSTED);
  l.set_dead_unix_ms(1'700'000'000'123);
  auto& e = *l.mutable_envelope();
  e.set_id("m-1");
  e.set_target("agents/legal");
  e.set_type_name("bsm.v1.ChatRequest");
  e.set_attempt(5);
  return result;
}

TEST(DeadLetterPage, EachLetterHasTheContractsFields) {
  auto x = bsm::http_handlers::dead_letter_json(letter("agents~legal~3"), "n1");
  EXPECT_EQ(x["id"], "agents~legal~3");
  EXPECT_EQ(x["actor"], "agents/legal");
  EXPECT_EQ(x["type"], "bsm.v1.ChatRequest");
  EXPECT_EQ(x["reason"], "attempts_exhausted");
  EXPECT_EQ(x["attempts"], 5);
  EXPECT_EQ(x["first_error"], "first");
  EXPECT_EQ(x["last_error"], "last");
  EXPECT_EQ(x["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(x["message_id"], "m-1");
  EXPECT_EQ(x["node"], "n1");
}

TEST(DeadLetterPage, ADamagedLetterNamesItsMailboxFromItsId) {
  bsm::v1::DeadLetterEntry damaged;
  damaged.set_id("memory~9");
  damaged.mutable_letter()->set_reason(bsm::v1::DEAD_LETTER_REASON_CORRUPT);
  auto x = bsm::http_handlers::dead_letter_json(damaged, "n1");
  EXPECT_EQ(x["actor"], "memory");
  EXPECT_EQ(x["reason"], "corrupt");
}

TEST(DeadLetterPage, NextAfterIsNullOnTheLastPage) {
  bsm::v1::DeadLetterListResponse list;
  *list.add_letters() = letter("a~1");
  auto last = bsm::http_handlers::dead_letters_json(list, "n1");
  EXPECT_EQ(last["dead_letters"].size(), 1u);
  EXPECT_TRUE(last["next_after"].is_null());
  list.set_next_after("a~1");
  EXPECT_EQ(bsm::http_handlers::dead_letters_json(list, "n1")["next_after"],
            "a~1");
}

} // namespace
