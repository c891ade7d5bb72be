// Workflows' layout in a real store (workflows/workflow_keys.hpp).

#include "workflows/workflow_keys.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace w = bsm::workflows;
using bsm::v1::RunRecord;
using bsm::v1::StepRecord;
using bsm::v1::WorkflowVersion;

class WorkflowKeys : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = bsm::store::open(dir_.path() / "store", {});
    ASSERT_TRUE(opened) << bsm::render(opened.error());
    db_ = std::move(*opened);
  }

  template <class F>
  void write(F fill) {
    rocksdb::WriteBatch batch;
    EXPECT_TRUE(fill(batch).ok());
    EXPECT_FALSE(db_->write(batch));
  }

  void version(const std::string& name, const std::string& id, int64_t at) {
    WorkflowVersion v;
    v.set_name(name);
    v.set_version(id);
    v.set_created_unix_ms(at);
    write([&](auto& b) { return w::put_version(b, *db_, v); });
  }

  void run(const std::string& id, const std::string& workflow,
           bsm::v1::RunState state) {
    RunRecord r;
    r.set_run_id(id);
    r.set_workflow(workflow);
    r.set_state(state);
    write([&](auto& b) { return w::put_run(b, *db_, r); });
  }

  std::vector<std::string> page(const w::run_query& q, std::string* next) {
    auto resp = w::list_runs(*db_, q);
    EXPECT_TRUE(resp);
    std::vector<std::string> result;
    for (const auto& r : resp->runs())
      result.push_back(r.run_id());
    *next = resp->next();
    return result;
  }

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db_;
};

TEST_F(WorkflowKeys, VersionsKeepTheirOrderAndTheNewestIsFound) {
  version("review", "bbbb", 20);
  version("review", "aaaa", 10);
  version("review", "cccc", 30);
  version("deploy", "dddd", 5);
  auto newest = w::read_version(*db_, "review");
  ASSERT_TRUE(newest && *newest);
  EXPECT_EQ((*newest)->version(), "cccc");
  auto older = w::read_version(*db_, "review", "aaaa");
  ASSERT_TRUE(older && *older);
  EXPECT_EQ((*older)->created_unix_ms(), 10);
  auto all = w::read_versions(*db_, "review");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].version(), "aaaa");
  EXPECT_EQ((*all)[2].version(), "cccc");
  auto names = w::read_newest(*db_);
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ((*names)[0].name(), "deploy");
  auto missing = w::read_version(*db_, "nothing");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(WorkflowKeys, RunningRunsAreIndexedUntilTheyEnd) {
  run("w-1", "a", bsm::v1::RUN_STATE_RUNNING);
  run("w-2", "a", bsm::v1::RUN_STATE_RUNNING);
  run("w-1", "a", bsm::v1::RUN_STATE_SUCCEEDED);
  auto running = w::read_running(*db_);
  ASSERT_TRUE(running);
  EXPECT_EQ(*running, std::vector<std::string>{"w-2"});
  StepRecord s;
  s.set_run_id("w-2");
  s.set_step_id("b");
  write([&](auto& b) { return w::put_step(b, *db_, s); });
  s.set_step_id("a");
  write([&](auto& b) { return w::put_step(b, *db_, s); });
  StepRecord other;
  other.set_run_id("w-22");
  other.set_step_id("x");
  write([&](auto& b) { return w::put_step(b, *db_, other); });
  auto steps = w::read_steps(*db_, "w-2");
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].step_id(), "a");
}

TEST_F(WorkflowKeys, ListsRunsInPagesWithFilters) {
  for (int i = 0; i < 5; ++i)
    run("w-" + std::to_string(i), i % 2 ? "odd" : "even",
        i == 4 ? bsm::v1::RUN_STATE_FAILED : bsm::v1::RUN_STATE_RUNNING);
  std::string next;
  w::run_query q;
  q.limit = 2;
  EXPECT_EQ(page(q, &next), (std::vector<std::string>{"w-0", "w-1"}));
  EXPECT_EQ(next, "w-1");
  q.after = next;
  EXPECT_EQ(page(q, &next), (std::vector<std::string>{"w-2", "w-3"}));
  q = {};
  q.workflow = "even";
  q.state = bsm::v1::RUN_STATE_FAILED;
  EXPECT_EQ(page(q, &next), std::vector<std::string>{"w-4"});
  EXPECT_TRUE(next.empty());
}

TEST(WorkflowRunIds, MadeAndChecked) {
  auto id = w::make_run_id(0x123456789aLL, 0xdeadbeef);
  EXPECT_EQ(id, "w-00123456789a-deadbeef");
  EXPECT_TRUE(w::valid_run_id(id));
  EXPECT_TRUE(w::valid_run_id("order-42.review"));
  EXPECT_FALSE(w::valid_run_id(""));
  EXPECT_FALSE(w::valid_run_id(".hidden"));
  EXPECT_FALSE(w::valid_run_id("a/b"));
  EXPECT_FALSE(w::valid_run_id(std::string(129, 'a')));
}

} // namespace
