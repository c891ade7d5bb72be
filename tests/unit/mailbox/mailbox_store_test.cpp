#include "runtime/mailbox/mailbox_store.hpp"

#include <gtest/gtest.h>

#include <set>

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/message_id.hpp"
#include "runtime/store/expiring_value.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace mb = bsm::mailbox;

class MailboxStore : public ::testing::Test {
protected:
  MailboxStore() {
    auto s = bsm::store::open(dir_.path(), {});
    EXPECT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
  }

  void append(const std::string& target, uint64_t seq) {
    bsm::v1::Envelope e;
    e.set_target(target);
    e.set_id("id-" + std::to_string(seq));
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(
      mb::add_append(*db, batch, target, seq, e.SerializeAsString()).ok());
    ASSERT_FALSE(db->write(batch));
  }

  void ack(const std::string& target, uint64_t seq) {
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(mb::add_ack(*db, batch, target, seq).ok());
    ASSERT_FALSE(db->write(batch));
  }

  bsm::v1::MailboxReadResponse read(const std::string& target, uint64_t from,
                                    uint64_t to, uint32_t max = 100) {
    bsm::v1::MailboxReadRequest req;
    req.set_target(target);
    req.set_from_seq(from);
    req.set_to_seq(to);
    req.set_max_entries(max);
    auto resp = mb::read(*db, req);
    EXPECT_TRUE(resp) << bsm::render(resp.error());
    return resp ? *resp : bsm::v1::MailboxReadResponse{};
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db;
};

TEST(MailboxKeys, EnvelopeKeysSortBySequenceAndParseBack) {
  EXPECT_LT(mb::envelope_key("a", 255), mb::envelope_key("a", 256));
  EXPECT_LT(mb::envelope_key("a", UINT64_MAX), mb::envelope_key("a/b", 0));
  auto key = mb::envelope_key("agents/x", 42);
  auto parsed = mb::parse_envelope_key(key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, "agents/x");
  EXPECT_EQ(parsed->second, 42u);
  EXPECT_FALSE(mb::parse_envelope_key("short"));
}

TEST_F(MailboxStore, OpenOfAnUnknownTargetStartsAtZero) {
  auto open = mb::open(*db, "nobody");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->next_seq(), 0u);
  EXPECT_EQ(open->head_seq(), 0u);
}

TEST_F(MailboxStore, OpenFindsHeadAndNextAndNeverGoesBackAfterAcks) {
  for (uint64_t i = 0; i < 5; ++i)
    append("t", i);
  ack("t", 0);
  ack("t", 1);
  auto open = mb::open(*db, "t");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->head_seq(), 2u);
  EXPECT_EQ(open->next_seq(), 5u);
  for (uint64_t i = 2; i < 5; ++i)
    ack("t", i);
  open = mb::open(*db, "t");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->next_seq(), 5u);
  EXPECT_EQ(open->head_seq(), 5u);
}

TEST_F(MailboxStore, SequenceGoesOnAfterAPurge) {
  for (uint64_t i = 0; i < 5; ++i)
    append("t", i);
  append("t/other", 0);
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(mb::add_purge(*db, batch, "t").ok());
  ASSERT_FALSE(db->write(batch));
  EXPECT_EQ(read("t", 0, UINT64_MAX).entries_size(), 0);
  EXPECT_EQ(read("t/other", 0, UINT64_MAX).entries_size(), 1);
  auto open = mb::open(*db, "t");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->next_seq(), 5u);
  EXPECT_EQ(open->head_seq(), 5u);
}

TEST_F(MailboxStore, ReadReturnsARangeInOrderAndHonoursTheLimit) {
  for (uint64_t i = 0; i < 10; ++i)
    append("t", i);
  append("t/sub", 0); // another target sorts after; never read as "t"
  auto page = read("t", 3, 8, 3);
  ASSERT_EQ(page.entries_size(), 3);
  EXPECT_EQ(page.entries(0).seq(), 3u);
  EXPECT_EQ(page.entries(2).seq(), 5u);
  EXPECT_EQ(page.entries(1).envelope().id(), "id-4");
  EXPECT_EQ(read("t", 8, UINT64_MAX).entries_size(), 2);
}

TEST_F(MailboxStore, DamagedEnvelopeMovesToDeadLettersAndDoesNotBlock) {
  append("t", 0);
  ASSERT_FALSE(
    db->put(bsm::column::mailbox, mb::envelope_key("t", 1), "\xff\xff\xff"));
  append("t", 2);
  auto page = read("t", 0, UINT64_MAX);
  ASSERT_EQ(page.entries_size(), 2);
  EXPECT_EQ(page.entries(1).seq(), 2u);
  EXPECT_EQ(page.corrupt(), 1u);
  auto dead = mb::dead_letters(*db, "t", 10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].seq(), 1u);
  EXPECT_EQ(read("t", 0, UINT64_MAX).corrupt(), 0u);
}

TEST_F(MailboxStore, PendingTargetsListsEachTargetOnce) {
  for (uint64_t i = 0; i < 100; ++i)
    append("b", i);
  append("a", 7);
  append("a/x", 1);
  ack("a/x", 1);
  auto targets = mb::pending_targets(*db);
  ASSERT_TRUE(targets);
  EXPECT_EQ(*targets, (std::vector<std::string>{"a", "b"}));
}

TEST_F(MailboxStore, IdempotencyRecordsExpire) {
  bsm::v1::IdempotencyRecord record;
  record.set_message_id("m1");
  record.set_seq(3);
  auto now = bsm::unix_now_ms();
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(
    mb::add_idempotency(*db, batch, "t", "k", record, now + 1000).ok());
  ASSERT_FALSE(db->write(batch));
  auto found = mb::find_idempotency(*db, "t", "k", now);
  ASSERT_TRUE(found);
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->message_id(), "m1");
  EXPECT_EQ((*found)->seq(), 3u);
  auto later = mb::find_idempotency(*db, "t", "k", now + 1000);
  ASSERT_TRUE(later);
  EXPECT_FALSE(*later);
  auto other = mb::find_idempotency(*db, "u", "k", now);
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

TEST_F(MailboxStore, CompactionDropsExpiredIdempotencyRecords) {
  auto now = bsm::unix_now_ms();
  bsm::v1::IdempotencyRecord record;
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(
    mb::add_idempotency(*db, batch, "t", "old", record, now - 1).ok());
  ASSERT_TRUE(
    mb::add_idempotency(*db, batch, "t", "new", record, now + 3'600'000).ok());
  ASSERT_FALSE(db->write(batch));
  auto* cf = db->handle(bsm::column::idempotency);
  ASSERT_TRUE(db->db().Flush(rocksdb::FlushOptions{}, cf).ok());
  ASSERT_TRUE(
    db->db()
      .CompactRange(rocksdb::CompactRangeOptions{}, cf, nullptr, nullptr)
      .ok());
  auto old_raw
    = db->get(bsm::column::idempotency, mb::idempotency_key("t", "old"));
  ASSERT_TRUE(old_raw);
  EXPECT_FALSE(*old_raw);
  auto new_raw
    = db->get(bsm::column::idempotency, mb::idempotency_key("t", "new"));
  ASSERT_TRUE(new_raw);
  EXPECT_TRUE(*new_raw);
}

TEST(ExpiringValue, CarriesItsDeadline) {
  auto v = bsm::make_expiring_value(1000, "payload");
  EXPECT_EQ(bsm::live_payload(v, 999), std::string_view{"payload"});
  EXPECT_FALSE(bsm::live_payload(v, 1000));
  EXPECT_FALSE(bsm::live_payload("short", 0));
}

TEST(MessageId, IsAUlidThatSortsByTime) {
  std::set<std::string> ids;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    auto id = bsm::new_message_id();
    ASSERT_EQ(id.size(), 26u);
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"),
              std::string::npos);
    EXPECT_GE(id.substr(0, 10),
              previous.substr(0, std::min<size_t>(10, previous.size())));
    previous = id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

} // namespace
