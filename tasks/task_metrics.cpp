#include "tasks/task_metrics.hpp"

#include <string>

#include "tasks/task_lifecycle.hpp"

namespace bsm::tasks {

namespace {

bool counted_in_depth(v1::TaskState x) {
  return x == v1::TASK_STATE_QUEUED || x == v1::TASK_STATE_RUNNING
         || x == v1::TASK_STATE_FAILED;
}

} // namespace

task_metrics task_metrics::make(metrics::registry& reg) {
  task_metrics result;
  result.depth = &reg.gauge_family(
    "bsm_tasks_depth", "Tasks queued, running or failed (waiting to retry).",
    {"state", "priority"});
  const std::vector<double> seconds{0.001, 0.01, 0.1, 0.5, 1,   5,
                                    10,    30,   60,  300, 3600};
  result.wait
    = &reg
         .histogram_family("bsm_task_wait_seconds",
                           "Time from a task's readiness to its attempt's "
                           "start.",
                           {}, seconds)
         .with();
  result.run
    = &reg
         .histogram_family("bsm_task_run_seconds",
                           "Time of one attempt of a task.", {}, seconds)
         .with();
  result.attempts = &reg
                       .counter_family("bsm_task_attempts_total",
                                       "Task attempts started.", {})
                       .with();
  result.deferred
    = &reg
         .counter_family("bsm_task_deferred_total",
                         "Task attempts refused until a known time (a spent "
                         "budget), waiting to run again.",
                         {})
         .with();
  result.finished = &reg.counter_family(
    "bsm_tasks_finished_total", "Tasks that ended, by final state.", {"state"});
  return result;
}

void task_metrics::moved(v1::TaskState from, v1::TaskState to,
                         uint32_t priority) const {
  if (depth == nullptr || from == to)
    return;
  auto p = std::to_string(priority);
  if (counted_in_depth(from))
    depth->with({state_name(from), p}).add(-1);
  if (counted_in_depth(to))
    depth->with({state_name(to), p}).add(1);
  if (is_final(to))
    finished->with({state_name(to)}).inc();
}

void task_metrics::loaded(v1::TaskState state, uint32_t priority,
                          int64_t n) const {
  if (depth != nullptr && counted_in_depth(state))
    depth->with({state_name(state), std::to_string(priority)})
      .add(static_cast<double>(n));
}

} // namespace bsm::tasks
