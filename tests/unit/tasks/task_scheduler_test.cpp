#include "tasks/task_scheduler.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bsm::tasks::scheduled_task;
using bsm::tasks::scheduler_options;
using bsm::tasks::task_scheduler;

constexpr int64_t step = 1'000;

scheduler_options opts(uint32_t concurrency = 1) {
  scheduler_options o;
  o.aging_step = std::chrono::milliseconds{step};
  o.concurrency = concurrency;
  return o;
}

scheduled_task task(std::string id, uint32_t priority, int64_t ready_at = 0,
                    std::string target = "agents/a", int64_t deadline = 0) {
  return {std::move(id), std::move(target), priority, ready_at, deadline};
}

std::vector<std::string> ids(const std::vector<scheduled_task>& xs) {
  std::vector<std::string> result;
  for (const auto& x : xs)
    result.push_back(x.id);
  return result;
}

// Starts one task at `now` and frees its slot again.
std::string next(task_scheduler& s, int64_t now) {
  auto started = s.take(now, 1);
  if (started.empty())
    return {};
  s.release(started[0].target);
  return started[0].id;
}

TEST(TaskScheduler, StartsHigherPrioritiesFirstAndEqualOnesOldestFirst) {
  task_scheduler s{opts()};
  s.add(task("low", 1, 10));
  s.add(task("high-late", 7, 30));
  s.add(task("high-early", 7, 20));
  s.add(task("mid", 4, 10));
  EXPECT_EQ(next(s, 40), "high-early");
  EXPECT_EQ(next(s, 40), "high-late");
  EXPECT_EQ(next(s, 40), "mid");
  EXPECT_EQ(next(s, 40), "low");
  EXPECT_EQ(next(s, 40), "");
}

TEST(TaskScheduler, ClampsPrioritiesAboveNine) {
  task_scheduler s{opts()};
  s.add(task("nine", 9, 0));
  s.add(task("huge", 1000, 5));
  EXPECT_EQ(next(s, 10), "nine");
  EXPECT_EQ(next(s, 10), "huge");
}

TEST(TaskScheduler, AgingRaisesAWaitingTaskOneLevelPerStep) {
  task_scheduler s{opts()};
  EXPECT_EQ(s.effective_priority(0, 0, step - 1), 0u);
  EXPECT_EQ(s.effective_priority(0, 0, step), 1u);
  EXPECT_EQ(s.effective_priority(3, 0, 4 * step), 7u);
  EXPECT_EQ(s.effective_priority(3, 0, 100 * step), 9u);
  // Not ready yet: no aging.
  EXPECT_EQ(s.effective_priority(3, 10 * step, 0), 3u);
}

// The bound: a flood of newer priority-9 tasks (one new each half step,
// one started each half step) delays a priority-0 task by at most
// 9 * aging_step.
TEST(TaskScheduler, AFloodOfHighPriorityTasksCannotStarveALowOne) {
  task_scheduler s{opts()};
  s.add(task("low", 0, 0));
  int64_t now = 0;
  int n = 0;
  std::string started;
  while (started != "low") {
    ASSERT_LE(now, 9 * step) << "the low task still waits at " << now;
    s.add(task("flood-" + std::to_string(n++), 9, now));
    started = next(s, now);
    now += step / 2;
  }
  // And not before it had to: it counted 9 only after 9 steps.
  EXPECT_GE(now, 9 * step);
}

TEST(TaskScheduler, ABacklogOfOlderTasksStillComesFirst) {
  task_scheduler s{opts()};
  s.add(task("old-high", 9, 0));
  s.add(task("low", 0, 1));
  // At 100 steps both count 9: the older ready time wins.
  EXPECT_EQ(next(s, 100 * step), "old-high");
  EXPECT_EQ(next(s, 100 * step), "low");
}

TEST(TaskScheduler, DelayedTasksWaitForTheirTime) {
  task_scheduler s{opts()};
  s.add(task("later", 5, 500));
  EXPECT_EQ(s.next_event(), 500);
  EXPECT_TRUE(s.take(499).empty());
  EXPECT_EQ(ids(s.take(500)), std::vector<std::string>{"later"});
  EXPECT_FALSE(s.next_event());
}

TEST(TaskScheduler, ATaskDueLongAgoStartsAtOnce) {
  task_scheduler s{opts()};
  // Due while the node was down: its time passed long before `now`.
  s.add(task("overdue", 0, 1'000));
  EXPECT_EQ(ids(s.take(1'000'000)), std::vector<std::string>{"overdue"});
}

TEST(TaskScheduler, KeepsEachTargetsConcurrencyLimit) {
  auto o = opts(2);
  o.limits["agents/slow"] = 1;
  task_scheduler s{o};
  for (int i = 0; i < 3; ++i) {
    s.add(task("a" + std::to_string(i), 0, i, "agents/a"));
    s.add(task("s" + std::to_string(i), 0, i, "agents/slow"));
  }
  auto first = s.take(10);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(s.running("agents/a"), 2u);
  EXPECT_EQ(s.running("agents/slow"), 1u);
  EXPECT_TRUE(s.take(10).empty());
  s.release("agents/slow");
  EXPECT_EQ(ids(s.take(10)), std::vector<std::string>{"s1"});
  s.release("agents/a");
  EXPECT_EQ(ids(s.take(10)), std::vector<std::string>{"a2"});
  EXPECT_EQ(s.waiting(), 1u);
}

TEST(TaskScheduler, ServesTargetsInTurn) {
  task_scheduler s{opts(1)};
  s.add(task("a1", 9, 0, "agents/a"));
  s.add(task("a2", 9, 0, "agents/a"));
  s.add(task("b1", 0, 0, "agents/b"));
  auto started = ids(s.take(10, 2));
  EXPECT_EQ(started, (std::vector<std::string>{"a1", "b1"}));
}

TEST(TaskScheduler, OccupiedSlotsCount) {
  task_scheduler s{opts(1)};
  s.occupy("agents/a");
  s.add(task("a1", 0, 0));
  EXPECT_TRUE(s.take(10).empty());
  s.release("agents/a");
  EXPECT_EQ(ids(s.take(10)), std::vector<std::string>{"a1"});
}

TEST(TaskScheduler, ANewTaskTakesAFreeSlotOnlyWhenNothingReadyWaits) {
  task_scheduler s{opts(2)};
  EXPECT_TRUE(s.try_occupy("agents/a", 0));
  EXPECT_EQ(s.running("agents/a"), 1u);
  // A task of the target that became ready comes first.
  s.add(task("waiting", 0, 5));
  EXPECT_FALSE(s.try_occupy("agents/a", 10));
  EXPECT_TRUE(s.try_occupy("agents/b", 10));
  EXPECT_EQ(ids(s.take(10)), std::vector<std::string>{"waiting"});
  // Both slots of a are taken now.
  EXPECT_FALSE(s.try_occupy("agents/a", 10));
  s.release("agents/a");
  EXPECT_TRUE(s.try_occupy("agents/a", 10));
  // A delayed task of the target does not hold a new one back.
  s.release("agents/a");
  s.add(task("later", 0, 100));
  EXPECT_TRUE(s.try_occupy("agents/a", 10));
}

TEST(TaskScheduler, ExpiresWaitingTasksPastTheirDeadline) {
  task_scheduler s{opts(1)};
  s.occupy("agents/a");
  s.add(task("soon", 0, 0, "agents/a", 100));
  s.add(task("never", 0, 0, "agents/a", 0));
  s.add(task("delayed", 0, 500, "agents/a", 200));
  EXPECT_TRUE(s.take(0).empty()); // the slot is taken
  EXPECT_EQ(s.next_event(), 101);
  EXPECT_TRUE(s.expire(100).empty());
  EXPECT_EQ(ids(s.expire(101)), std::vector<std::string>{"soon"});
  EXPECT_EQ(ids(s.expire(1'000)), std::vector<std::string>{"delayed"});
  EXPECT_EQ(s.waiting(), 1u);
}

TEST(TaskScheduler, NeverStartsATaskPastItsDeadline) {
  task_scheduler s{opts()};
  s.add(task("late", 0, 0, "agents/a", 50));
  EXPECT_TRUE(s.take(60).empty());
  EXPECT_EQ(ids(s.expire(60)), std::vector<std::string>{"late"});
}

TEST(TaskScheduler, RemovesAndReplacesWaitingTasks) {
  task_scheduler s{opts()};
  s.add(task("x", 0, 100));
  s.add(task("y", 0, 0));
  EXPECT_TRUE(s.remove("x"));
  EXPECT_FALSE(s.remove("x"));
  EXPECT_TRUE(s.remove("y"));
  EXPECT_EQ(s.waiting(), 0u);
  EXPECT_TRUE(s.take(1'000).empty());
  s.add(task("z", 0, 1'000));
  s.add(task("z", 0, 0)); // replaced: ready now
  EXPECT_EQ(s.waiting(), 1u);
  EXPECT_EQ(ids(s.take(1)), std::vector<std::string>{"z"});
}

} // namespace
