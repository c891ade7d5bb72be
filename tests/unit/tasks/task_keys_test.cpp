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
                 const std::string& agent = "a", int64_t ready = 0) {
    TaskRecord rec;
    rec.set_task_id(id);
    rec.set_state(state);
    rec.set_updated_unix_ms(ready);
    rec.mutable_spec()->set_agent(agent);
    (*rec.mutable_spec()->mutable_labels())["team"] = agent == "a" ? "x" : "y";
    auto prior = rec;
    prior.set_state(before);
    return write(rec,
                 before == bsm::v1::TASK_STATE_UNSPECIFIED ? nullptr : &prior);
  }

  TaskRecord write(const TaskRecord& rec, const TaskRecord* prior) {
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(
      t::put_record(batch, *db_, rec,
                    prior ? std::optional{t::place_of(*prior)} : std::nullopt)
        .ok());
    EXPECT_FALSE(db_->write(batch));
    return rec;
  }

  // The ready index from `after` in slices of `slice`: ids in order.
  std::vector<std::string> ready(size_t slice = 100) {
    std::vector<std::string> ids;
    std::string after;
    do {
      auto next = t::read_ready(*db_, after, slice, [&](t::ready_entry&& e) {
        ids.push_back(e.task.id);
      });
      EXPECT_TRUE(next) << bsm::render(next.error());
      if (!next)
        break;
      after = *next;
    } while (!after.empty());
    return ids;
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

TEST_F(TaskKeys, TasksAreReadByState) {
  put("t-1", bsm::v1::TASK_STATE_QUEUED);
  put("t-2", bsm::v1::TASK_STATE_RUNNING);
  put("t-3", bsm::v1::TASK_STATE_RUNNING);
  put("t-4", bsm::v1::TASK_STATE_SUCCEEDED);
  std::set<std::string> ids;
  EXPECT_FALSE(t::for_each_in(
    *db_, bsm::v1::TASK_STATE_RUNNING,
    [&ids](bsm::v1::TaskRecord&& rec) { ids.insert(rec.task_id()); }));
  EXPECT_EQ(ids, (std::set<std::string>{"t-2", "t-3"}));
}

TEST_F(TaskKeys, TheReadyIndexHoldsTheWaitingTasksEarliestFirst) {
  put("t-1", bsm::v1::TASK_STATE_QUEUED, bsm::v1::TASK_STATE_UNSPECIFIED, "a",
      300);
  put("t-2", bsm::v1::TASK_STATE_FAILED, bsm::v1::TASK_STATE_UNSPECIFIED, "b",
      100);
  put("t-3", bsm::v1::TASK_STATE_RUNNING);
  put("t-4", bsm::v1::TASK_STATE_QUEUED, bsm::v1::TASK_STATE_UNSPECIFIED, "a",
      200);
  EXPECT_EQ(ready(), (std::vector<std::string>{"t-2", "t-4", "t-1"}));
  // In slices of one, the same.
  EXPECT_EQ(ready(1), (std::vector<std::string>{"t-2", "t-4", "t-1"}));
  // An entry carries what the scheduler needs.
  std::vector<t::ready_entry> entries;
  ASSERT_TRUE(t::read_ready(
    *db_, "", 1, [&](t::ready_entry&& e) { entries.push_back(std::move(e)); }));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].task.target, "agents/b");
  EXPECT_EQ(entries[0].task.ready_at, 100);
  EXPECT_EQ(entries[0].state, bsm::v1::TASK_STATE_FAILED);
}

TEST_F(TaskKeys, AMoveTakesATaskOutOfTheReadyIndexOrMovesItsTime) {
  auto first = put("t-1", bsm::v1::TASK_STATE_QUEUED,
                   bsm::v1::TASK_STATE_UNSPECIFIED, "a", 100);
  put("t-2", bsm::v1::TASK_STATE_QUEUED, bsm::v1::TASK_STATE_UNSPECIFIED, "a",
      200);
  // Started: no longer waiting.
  auto running = first;
  running.set_state(bsm::v1::TASK_STATE_RUNNING);
  write(running, &first);
  EXPECT_EQ(ready(), std::vector<std::string>{"t-2"});
  // Failed with a backoff: waiting again, later than t-2.
  auto failed = running;
  failed.set_state(bsm::v1::TASK_STATE_FAILED);
  failed.set_next_run_unix_ms(500);
  write(failed, &running);
  EXPECT_EQ(ready(), (std::vector<std::string>{"t-2", "t-1"}));
  // Deferred again, sooner: one entry, at its new time.
  auto sooner = failed;
  sooner.set_next_run_unix_ms(0);
  sooner.set_updated_unix_ms(150);
  write(sooner, &failed);
  EXPECT_EQ(ready(), (std::vector<std::string>{"t-1", "t-2"}));
}

TEST_F(TaskKeys, AStoreWithoutTheReadyIndexGetsItBuiltOnce) {
  // Records and state entries as a store written before the ready index.
  auto* cf = db_->handle(bsm::column::tasks);
  for (auto [id, state] : {std::pair{"t-1", bsm::v1::TASK_STATE_QUEUED},
                           std::pair{"t-2", bsm::v1::TASK_STATE_FAILED},
                           std::pair{"t-3", bsm::v1::TASK_STATE_SUCCEEDED}}) {
    TaskRecord rec;
    rec.set_task_id(id);
    rec.set_state(state);
    rec.mutable_spec()->set_agent("a");
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put(cf, t::state_key(state, id), "").ok());
    ASSERT_TRUE(batch.Put(cf, t::record_key(id), rec.SerializeAsString()).ok());
    ASSERT_FALSE(db_->write(batch));
  }
  EXPECT_TRUE(ready().empty());
  ASSERT_FALSE(t::ensure_ready_index(*db_));
  EXPECT_EQ(ready(), (std::vector<std::string>{"t-1", "t-2"}));
  // Complete now: a record written behind its back is not indexed again.
  ASSERT_FALSE(db_->erase(bsm::column::tasks, "w/0000000000000000/t-1"));
  ASSERT_FALSE(t::ensure_ready_index(*db_));
  EXPECT_EQ(ready(), std::vector<std::string>{"t-2"});
}

TEST_F(TaskKeys, ABrokenReadyEntryIsAnError) {
  ASSERT_FALSE(db_->put(bsm::column::tasks, "w/00000000000000zz/t-1", "1,0"));
  auto next = t::read_ready(*db_, "", 10, [](t::ready_entry&&) {});
  ASSERT_FALSE(next);
  EXPECT_NE(bsm::render(next.error()).find("does not parse"),
            std::string::npos);
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
