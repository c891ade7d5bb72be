#include "tasks/task_keys.hpp"

#include <gtest/gtest.h>

#include <set>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace t = bsm::tasks;
using bsm::v1::TaskRecord;
using bsm::v1::TaskState;

class TaskKeys : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = bsm::store::open(dir_.path() / "store", {});
    ASSERT_TRUE(opened) << bsm::render(opened.error());
    db_ = std::move(*opened);
  }

  TaskRecord put(const std::string& id, TaskState state,
                 TaskState before = bsm::v1::TASK_STATE_UNSPECIFIED,
                 const std::string& agent = "a") {
    TaskRecord rec;
    rec.set_task_id(id);
    rec.set_state(state);
    rec.mutable_spec()->set_agent(agent);
    (*rec.mutable_spec()->mutable_labels())["team"] = agent == "a" ? "x" : "y";
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(t::put_record(batch, *db_, rec, before).ok());
    EXPECT_FALSE(db_->write(batch));
    return rec;
  }

  std::vector<std::string> page(const t::list_query& q,
                                std::string* next = nullptr) {
    auto resp = t::list_records(*db_, q);
    EXPECT_TRUE(resp);
    std::vector<std::string> result;
    for (const auto& rec : resp->tasks())
      result.push_back(rec.task_id());
    if (next)
      *next = resp->next();
    return result;
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db_;
};

TEST(TaskIds, SortByTimeAndValidate) {
  auto a = t::make_task_id(1'000, 0xffffffff);
  auto b = t::make_task_id(1'001, 0);
  EXPECT_LT(a, b);
  EXPECT_TRUE(t::valid_task_id(a));
  EXPECT_TRUE(t::valid_task_id(b));
  EXPECT_FALSE(t::valid_task_id("t-1"));
  EXPECT_FALSE(t::valid_task_id("../../etc/passwd"));
  auto upper = a;
  upper[3] = 'G';
  EXPECT_FALSE(t::valid_task_id(upper));
}

TEST_F(TaskKeys, RecordsReadBackAndMoveBetweenStateIndexes) {
  put("t-1", bsm::v1::TASK_STATE_QUEUED);
  auto rec = t::read_record(*db_, "t-1");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->spec().agent(), "a");
  put("t-1", bsm::v1::TASK_STATE_RUNNING, bsm::v1::TASK_STATE_QUEUED);
  t::list_query q;
  q.state = bsm::v1::TASK_STATE_QUEUED;
  EXPECT_TRUE(page(q).empty());
  q.state = bsm::v1::TASK_STATE_RUNNING;
  EXPECT_EQ(page(q), std::vector<std::string>{"t-1"});
  auto missing = t::read_record(*db_, "t-2");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(TaskKeys, ActiveTasksAreTheWaitingAndRunningOnes) {
  put("t-1", bsm::v1::TASK_STATE_QUEUED);
  put("t-2", bsm::v1::TASK_STATE_RUNNING);
  put("t-3", bsm::v1::TASK_STATE_FAILED);
  put("t-4", bsm::v1::TASK_STATE_SUCCEEDED);
  put("t-5", bsm::v1::TASK_STATE_DEAD);
  put("t-6", bsm::v1::TASK_STATE_CANCELLED);
  std::set<std::string> ids;
  EXPECT_FALSE(t::for_each_active(
    *db_, [&ids](bsm::v1::TaskRecord&& rec) { ids.insert(rec.task_id()); }));
  EXPECT_EQ(ids, (std::set<std::string>{"t-1", "t-2", "t-3"}));
}

TEST_F(TaskKeys, ListsPageByIdWithFilters) {
  for (int i = 0; i < 5; ++i)
    put("t-" + std::to_string(i), bsm::v1::TASK_STATE_QUEUED,
        bsm::v1::TASK_STATE_UNSPECIFIED, i % 2 == 0 ? "a" : "b");
  t::list_query q;
  q.limit = 2;
  std::string next;
  EXPECT_EQ(page(q, &next), (std::vector<std::string>{"t-0", "t-1"}));
  EXPECT_EQ(next, "t-1");
  q.after = next;
  EXPECT_EQ(page(q, &next), (std::vector<std::string>{"t-2", "t-3"}));
  q.after = next;
  EXPECT_EQ(page(q, &next), std::vector<std::string>{"t-4"});
  EXPECT_TRUE(next.empty());
  t::list_query by_agent;
  by_agent.agent = "b";
  EXPECT_EQ(page(by_agent), (std::vector<std::string>{"t-1", "t-3"}));
  t::list_query by_label;
  by_label.label = "team=x";
  EXPECT_EQ(page(by_label), (std::vector<std::string>{"t-0", "t-2", "t-4"}));
  by_label.label = "team";
  EXPECT_EQ(page(by_label).size(), 5u);
  by_label.label = "team=z";
  EXPECT_TRUE(page(by_label).empty());
}

TEST_F(TaskKeys, AScanStopsAtItsBudgetWithAPlaceToGoOn) {
  for (int i = 0; i < 5; ++i)
    put("t-" + std::to_string(i), bsm::v1::TASK_STATE_QUEUED,
        bsm::v1::TASK_STATE_UNSPECIFIED, "b");
  t::list_query q;
  q.agent = "a";
  q.max_scanned = 3;
  std::string next;
  EXPECT_TRUE(page(q, &next).empty());
  EXPECT_EQ(next, "t-2");
}

TEST_F(TaskKeys, IdempotencyKeysArePerPrincipal) {
  bsm::v1::Principal alice, bob;
  alice.set_name("alice");
  alice.set_kind("user");
  bob.set_name("bob");
  bob.set_kind("user");
  EXPECT_NE(t::idempotency_key(alice, "k"), t::idempotency_key(bob, "k"));
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(
    t::put_idempotency(batch, *db_, t::idempotency_key(alice, "k"), "t-9")
      .ok());
  ASSERT_FALSE(db_->write(batch));
  auto found = t::read_idempotency(*db_, t::idempotency_key(alice, "k"));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, "t-9");
  auto other = t::read_idempotency(*db_, t::idempotency_key(bob, "k"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

} // namespace
