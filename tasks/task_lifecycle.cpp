#include "tasks/task_lifecycle.hpp"

#include <algorithm>
#include <initializer_list>

#include "runtime/error.hpp"

namespace bsm::tasks {

namespace {

constexpr std::pair<v1::TaskState, const char*> names[] = {
  {v1::TASK_STATE_QUEUED, "queued"},
  {v1::TASK_STATE_RUNNING, "running"},
  {v1::TASK_STATE_SUCCEEDED, "succeeded"},
  {v1::TASK_STATE_FAILED, "failed"},
  {v1::TASK_STATE_DEAD, "dead"},
  {v1::TASK_STATE_CANCELLED, "cancelled"},
};

caf::error refuse(const v1::TaskRecord& rec, const char* move) {
  return make_error(errc::failed_precondition,
                    "task '" + rec.task_id() + "' is " + state_name(rec.state())
                      + ": cannot " + move);
}

bool in(v1::TaskState x, std::initializer_list<v1::TaskState> xs) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

void moved(v1::TaskRecord& rec, v1::TaskState to, int64_t now) {
  rec.set_state(to);
  rec.set_updated_unix_ms(now);
  if (to != v1::TASK_STATE_RUNNING) {
    rec.clear_lease_owner();
    rec.clear_lease_expires_unix_ms();
  }
}

} // namespace

const char* state_name(v1::TaskState x) {
  for (const auto& [state, name] : names)
    if (state == x)
      return name;
  return "unspecified";
}

v1::TaskState state_from_name(const std::string& text) {
  for (const auto& [state, name] : names)
    if (text == name)
      return state;
  return v1::TASK_STATE_UNSPECIFIED;
}

bool is_final(v1::TaskState x) {
  return in(x, {v1::TASK_STATE_SUCCEEDED, v1::TASK_STATE_DEAD,
                v1::TASK_STATE_CANCELLED});
}

bool is_waiting(v1::TaskState x) {
  return in(x, {v1::TASK_STATE_QUEUED, v1::TASK_STATE_FAILED});
}

std::string attempt_key(const v1::TaskRecord& rec) {
  return rec.task_id() + "-" + std::to_string(std::max(rec.attempts(), 1u));
}

int64_t ready_at(const v1::TaskRecord& rec) {
  // A waiting task's last move (submit, retry, recovery) put it in the
  // queue: aging counts from then, never from the epoch.
  return std::max({rec.spec().not_before_unix_ms(), rec.next_run_unix_ms(),
                   rec.updated_unix_ms()});
}

caf::expected<v1::TaskRecord> start(v1::TaskRecord rec, const lease& l,
                                    int64_t now) {
  if (!is_waiting(rec.state()))
    return refuse(rec, "start");
  // Queued with attempts: an attempt cut by a crash runs again as itself.
  bool resumed = rec.state() == v1::TASK_STATE_QUEUED && rec.attempts() > 0;
  if (!resumed)
    rec.set_attempts(rec.attempts() + 1);
  moved(rec, v1::TASK_STATE_RUNNING, now);
  rec.set_lease_owner(l.owner);
  rec.set_lease_expires_unix_ms(l.expires);
  rec.clear_next_run_unix_ms();
  return rec;
}

caf::expected<v1::TaskRecord> succeed(v1::TaskRecord rec, std::string result,
                                      int64_t now) {
  if (rec.state() != v1::TASK_STATE_RUNNING)
    return refuse(rec, "succeed");
  moved(rec, v1::TASK_STATE_SUCCEEDED, now);
  rec.set_result(std::move(result));
  rec.clear_error();
  return rec;
}

caf::expected<v1::TaskRecord> fail(v1::TaskRecord rec, std::string error,
                                   bool retryable, int64_t wait_ms,
                                   int64_t now) {
  if (rec.state() != v1::TASK_STATE_RUNNING)
    return refuse(rec, "fail");
  rec.set_error(std::move(error));
  if (!retryable || rec.attempts() >= rec.spec().max_attempts()) {
    moved(rec, v1::TASK_STATE_DEAD, now);
    return rec;
  }
  moved(rec, v1::TASK_STATE_FAILED, now);
  rec.set_next_run_unix_ms(now + std::max<int64_t>(wait_ms, 0));
  return rec;
}

caf::expected<v1::TaskRecord> cancel(v1::TaskRecord rec, int64_t now) {
  if (is_final(rec.state()))
    return refuse(rec, "cancel");
  moved(rec, v1::TASK_STATE_CANCELLED, now);
  rec.set_error("cancelled");
  return rec;
}

caf::expected<v1::TaskRecord> retry(v1::TaskRecord rec, int64_t now) {
  if (rec.state() != v1::TASK_STATE_DEAD)
    return refuse(rec, "retry (only a dead task can)");
  moved(rec, v1::TASK_STATE_QUEUED, now);
  rec.set_attempts(0);
  rec.clear_next_run_unix_ms();
  rec.clear_error();
  // A retry runs now, its old deadline and not-before time done with.
  rec.mutable_spec()->clear_not_before_unix_ms();
  rec.mutable_spec()->clear_deadline_unix_ms();
  return rec;
}

caf::expected<v1::TaskRecord> expire(v1::TaskRecord rec, int64_t now) {
  if (!is_waiting(rec.state()))
    return refuse(rec, "expire");
  moved(rec, v1::TASK_STATE_DEAD, now);
  rec.set_error("deadline_exceeded: still waiting at its deadline");
  return rec;
}

caf::expected<v1::TaskRecord> recover(v1::TaskRecord rec, int64_t now) {
  if (rec.state() != v1::TASK_STATE_RUNNING)
    return refuse(rec, "recover");
  moved(rec, v1::TASK_STATE_QUEUED, now);
  rec.set_attempts(std::max(rec.attempts(), 1u));
  return rec;
}

} // namespace bsm::tasks
