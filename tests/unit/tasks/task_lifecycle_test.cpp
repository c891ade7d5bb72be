#include "tasks/task_lifecycle.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace {

namespace t = bsm::tasks;
using bsm::v1::TaskRecord;

TaskRecord queued(uint32_t max_attempts = 3) {
  TaskRecord rec;
  rec.set_task_id("t-1");
  rec.set_state(bsm::v1::TASK_STATE_QUEUED);
  rec.mutable_spec()->set_max_attempts(max_attempts);
  return rec;
}

TaskRecord started(TaskRecord rec, int64_t now = 10) {
  auto x = t::start(std::move(rec), {"node-a#1", now + 100}, now);
  EXPECT_TRUE(x);
  return *x;
}

TEST(TaskLifecycle, StartCountsAnAttemptAndHoldsALease) {
  auto rec = started(queued());
  EXPECT_EQ(rec.state(), bsm::v1::TASK_STATE_RUNNING);
  EXPECT_EQ(rec.attempts(), 1u);
  EXPECT_EQ(rec.lease_owner(), "node-a#1");
  EXPECT_EQ(rec.lease_expires_unix_ms(), 110);
  EXPECT_EQ(t::attempt_key(rec), "t-1-1");
}

TEST(TaskLifecycle, SucceedKeepsTheResultAndDropsTheLease) {
  auto done = t::succeed(started(queued()), "42", 20);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state(), bsm::v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(done->result(), "42");
  EXPECT_TRUE(done->lease_owner().empty());
  EXPECT_TRUE(t::is_final(done->state()));
  EXPECT_FALSE(t::succeed(*done, "again", 30));
  EXPECT_FALSE(t::cancel(*done, 30));
}

TEST(TaskLifecycle, FailuresRetryWithBackoffThenDie) {
  auto rec = started(queued(2));
  auto failed = t::fail(rec, "boom", true, 500, 20);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state(), bsm::v1::TASK_STATE_FAILED);
  EXPECT_EQ(failed->next_run_unix_ms(), 520);
  EXPECT_EQ(t::ready_at(*failed), 520);
  auto second = started(*failed, 600);
  EXPECT_EQ(second.attempts(), 2u);
  EXPECT_EQ(t::attempt_key(second), "t-1-2");
  auto dead = t::fail(second, "boom again", true, 500, 700);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->state(), bsm::v1::TASK_STATE_DEAD);
  EXPECT_EQ(dead->error(), "boom again");
}

TEST(TaskLifecycle, AFailureRetryingCannotMendIsDeadAtOnce) {
  auto dead = t::fail(started(queued(5)), "bad input", false, 500, 20);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->state(), bsm::v1::TASK_STATE_DEAD);
}

TEST(TaskLifecycle, RecoverRunsTheSameAttemptAgain) {
  auto rec = started(queued());
  auto again = t::recover(rec, 50);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state(), bsm::v1::TASK_STATE_QUEUED);
  EXPECT_TRUE(again->lease_owner().empty());
  auto resumed = started(*again, 60);
  EXPECT_EQ(resumed.attempts(), 1u);
  EXPECT_EQ(t::attempt_key(resumed), t::attempt_key(rec));
  EXPECT_FALSE(t::recover(*again, 70));
}

TEST(TaskLifecycle, CancelFromEveryUnfinishedState) {
  for (auto rec : {queued(), started(queued()),
                   *t::fail(started(queued()), "x", true, 1, 1)}) {
    auto done = t::cancel(rec, 5);
    ASSERT_TRUE(done) << t::state_name(rec.state());
    EXPECT_EQ(done->state(), bsm::v1::TASK_STATE_CANCELLED);
  }
}

TEST(TaskLifecycle, RetryOnlyRevivesDeadTasks) {
  auto rec = queued(1);
  rec.mutable_spec()->set_deadline_unix_ms(100);
  auto dead = t::expire(rec, 200);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->state(), bsm::v1::TASK_STATE_DEAD);
  EXPECT_NE(dead->error().find("deadline_exceeded"), std::string::npos);
  auto again = t::retry(*dead, 300);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state(), bsm::v1::TASK_STATE_QUEUED);
  EXPECT_EQ(again->attempts(), 0u);
  EXPECT_EQ(again->spec().deadline_unix_ms(), 0);
  auto err = t::retry(*again, 400);
  ASSERT_FALSE(err);
  EXPECT_TRUE(bsm::is(err.error(), bsm::errc::failed_precondition));
}

TEST(TaskLifecycle, ATaskIsReadyFromItsLastMoveAtTheEarliest) {
  auto rec = queued();
  rec.set_updated_unix_ms(1'000);
  EXPECT_EQ(t::ready_at(rec), 1'000);
  rec.mutable_spec()->set_not_before_unix_ms(5'000);
  EXPECT_EQ(t::ready_at(rec), 5'000);
  auto again = t::retry(*t::expire(rec, 9'000), 9'500);
  ASSERT_TRUE(again);
  EXPECT_EQ(t::ready_at(*again), 9'500);
}

TEST(TaskLifecycle, OnlyWaitingTasksExpire) {
  EXPECT_FALSE(t::expire(started(queued()), 10));
}

TEST(TaskLifecycle, StateNamesRoundTrip) {
  for (auto name :
       {"queued", "running", "succeeded", "failed", "dead", "cancelled"})
    EXPECT_STREQ(t::state_name(t::state_from_name(name)), name);
  EXPECT_EQ(t::state_from_name("done"), bsm::v1::TASK_STATE_UNSPECIFIED);
}

} // namespace
