#include "runtime/mailbox/dead_letters.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace mb = bsm::mailbox;
using bsm::v1::DeadLetter;

class DeadLetters : public ::testing::Test {
protected:
  DeadLetters() {
    auto s = bsm::store::open(dir_.path(), {});
    EXPECT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
  }

  void bury(const std::string& target, uint64_t seq) {
    DeadLetter letter;
    letter.set_seq(seq);
    letter.set_error("boom " + std::to_string(seq));
    letter.mutable_envelope()->set_target(target);
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(mb::add_dead_letter(*db, batch, target, letter).ok());
    ASSERT_FALSE(db->write(batch));
  }

  // Buries `seq` as a mailbox does: the oldest beyond `max` dropped.
  uint64_t bury_within(const std::string& target, uint64_t seq, uint64_t max) {
    uint64_t dropped = 0;
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(mb::add_drop_oldest(*db, batch, target, max, 1, dropped).ok());
    DeadLetter letter;
    letter.set_seq(seq);
    EXPECT_TRUE(mb::add_dead_letter(*db, batch, target, letter).ok());
    EXPECT_FALSE(db->write(batch));
    return dropped;
  }

  std::vector<std::string> ids(const std::string& target = "",
                               uint32_t limit = 0,
                               const std::string& after = "",
                               std::string* next = nullptr) {
    bsm::v1::DeadLetterListRequest req;
    req.set_target(target);
    req.set_limit(limit);
    req.set_after(after);
    auto list = mb::list_dead_letters(*db, req);
    EXPECT_TRUE(list) << bsm::render(list.error());
    std::vector<std::string> result;
    if (!list)
      return result;
    for (const auto& x : list->letters())
      result.push_back(x.id());
    if (next)
      *next = list->next_after();
    return result;
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db;
};

using strings = std::vector<std::string>;

TEST(DeadLetterIds, NameTheMailboxAndSequenceAndParseBack) {
  EXPECT_EQ(mb::dead_letter_id("agents/legal", 42), "agents~legal~42");
  auto parsed = mb::parse_dead_letter_id("agents~legal~42");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "agents/legal");
  EXPECT_EQ(parsed->second, 42u);
  auto outbox = mb::parse_dead_letter_id(mb::dead_letter_id("@link/n-2", 7));
  ASSERT_TRUE(outbox);
  EXPECT_EQ(outbox->first, "@link/n-2");
}

TEST(DeadLetterIds, MalformedIdsAreRefused) {
  for (const char* bad :
       {"", "~", "x", "x~", "~5", "x~5a", "x~-1", "x~99999999999999999999999"})
    EXPECT_FALSE(mb::parse_dead_letter_id(bad)) << bad;
}

TEST(DeadLetterReasons, FollowTheDeliveryError) {
  EXPECT_EQ(mb::reason_of(caf::sec::unexpected_message),
            bsm::v1::DEAD_LETTER_REASON_TYPE_NOT_HANDLED);
  EXPECT_EQ(mb::reason_of(bsm::make_error(bsm::errc::invalid_argument, "no")),
            bsm::v1::DEAD_LETTER_REASON_REFUSED);
  EXPECT_EQ(mb::reason_of(caf::sec::request_timeout),
            bsm::v1::DEAD_LETTER_REASON_ATTEMPTS_EXHAUSTED);
  EXPECT_EQ(mb::to_string(bsm::v1::DEAD_LETTER_REASON_TYPE_NOT_HANDLED),
            "type_not_handled");
  EXPECT_EQ(mb::to_string(bsm::v1::DEAD_LETTER_REASON_CORRUPT), "corrupt");
}

TEST_F(DeadLetters, ListIsPagedInIdOrderAfterIsExclusive) {
  bury("b", 1);
  bury("a", 7);
  bury("a", 3);
  std::string next;
  EXPECT_EQ(ids("", 2, "", &next), (strings{"a~3", "a~7"}));
  EXPECT_EQ(next, "a~7");
  EXPECT_EQ(ids("", 2, next, &next), (strings{"b~1"}));
  EXPECT_EQ(next, "");
  EXPECT_EQ(ids("a"), (strings{"a~3", "a~7"}));
  EXPECT_EQ(ids("a", 0, "a~3"), (strings{"a~7"}));
  EXPECT_EQ(ids("c"), strings{});
}

TEST_F(DeadLetters, AnActorFilterDoesNotMatchItsChildren) {
  bury("agents", 1);
  bury("agents/legal", 2);
  EXPECT_EQ(ids("agents"), (strings{"agents~1"}));
  EXPECT_EQ(ids("agents/legal"), (strings{"agents~legal~2"}));
}

TEST_F(DeadLetters, AMalformedAfterIsRefused) {
  bsm::v1::DeadLetterListRequest req;
  req.set_after("nonsense");
  auto list = mb::list_dead_letters(*db, req);
  ASSERT_FALSE(list);
  EXPECT_TRUE(bsm::is(list.error(), bsm::errc::invalid_argument));
}

TEST_F(DeadLetters, GetAndDeleteOneOrPurgeAMailbox) {
  bury("a", 1);
  bury("a", 2);
  bury("b", 1);
  auto one = mb::get_dead_letter(*db, "a~2");
  ASSERT_TRUE(one) << bsm::render(one.error());
  EXPECT_EQ(one->id(), "a~2");
  EXPECT_EQ(one->letter().error(), "boom 2");
  EXPECT_FALSE(mb::delete_dead_letter(*db, "a~2"));
  EXPECT_TRUE(
    bsm::is(mb::delete_dead_letter(*db, "a~2"), bsm::errc::not_found));
  EXPECT_TRUE(
    bsm::is(mb::get_dead_letter(*db, "a~2").error(), bsm::errc::not_found));
  EXPECT_TRUE(
    bsm::is(mb::delete_dead_letter(*db, "bad"), bsm::errc::invalid_argument));
  auto purged = mb::purge_dead_letters(*db, "a");
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(ids(), (strings{"b~1"}));
}

TEST_F(DeadLetters, TheOldestBeyondTheBoundAreDropped) {
  EXPECT_EQ(bury_within("a", 1, 2), 0u);
  EXPECT_EQ(bury_within("a", 2, 2), 0u);
  bury("b", 1); // another mailbox's letters do not count
  EXPECT_EQ(bury_within("a", 3, 2), 1u);
  EXPECT_EQ(bury_within("a", 4, 2), 1u);
  EXPECT_EQ(ids("a"), (strings{"a~3", "a~4"}));
  EXPECT_EQ(ids("b"), (strings{"b~1"}));
}

} // namespace
