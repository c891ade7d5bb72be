#pragma once

// The states of a task and the moves between them, as pure functions over
// TaskRecord (tasks.proto): each returns the record after the move, or
// `failed_precondition` naming the state that forbids it. The actor writes
// the result to the store before it acts on it.
//
//   queued --start--> running --succeed--> succeeded
//   running --fail--> failed (attempts left, retryable) --start--> running
//   running --fail--> dead (no attempt left, or a failure that retrying
//                      cannot mend)
//   queued | failed --expire (deadline)--> dead
//   running --recover (its lease holder is gone)--> queued (same attempt)
//   dead --retry--> queued
//   cancel: queued, failed, running ──> cancelled
//
// An attempt is named "<task_id>-<n>" (n from 1): a task queued again by
// `recover` starts the same attempt again, so a handler idempotent by that
// key (a chat turn's delivery id, its tools' ledger keys) acts once.

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::tasks {

/// "queued", "running", ... as the API and the event topics name them.
const char* state_name(v1::TaskState x);

/// The state `text` names; TASK_STATE_UNSPECIFIED if none.
v1::TaskState state_from_name(const std::string& text);

/// Succeeded, dead or cancelled: nothing moves it but `retry` (dead).
bool is_final(v1::TaskState x);

/// Waiting to start: queued or failed.
bool is_waiting(v1::TaskState x);

/// The attempt key of the record's current (or resumed) attempt.
std::string attempt_key(const v1::TaskRecord& rec);

/// When a waiting task may start (and starts aging): the latest of its
/// not-before time, its next run and its last move.
int64_t ready_at(const v1::TaskRecord& rec);

/// Who holds a running task, and until when (unix ms).
struct lease {
  std::string owner;
  int64_t expires = 0;
};

/// queued | failed -> running, holding `l`. A queued task whose attempt
/// was cut (attempts > 0, see `recover`) runs that attempt again; any
/// other start is attempt attempts + 1.
[[nodiscard]] caf::expected<v1::TaskRecord> start(v1::TaskRecord rec,
                                                  const lease& l, int64_t now);

/// running -> succeeded with `result`.
[[nodiscard]] caf::expected<v1::TaskRecord>
succeed(v1::TaskRecord rec, std::string result, int64_t now);

/// running -> failed (next run `now + wait`) while attempts remain and
/// `retryable`, else -> dead. `error` says why.
[[nodiscard]] caf::expected<v1::TaskRecord> fail(v1::TaskRecord rec,
                                                 std::string error,
                                                 bool retryable,
                                                 int64_t wait_ms, int64_t now);

/// queued | failed | running -> cancelled.
[[nodiscard]] caf::expected<v1::TaskRecord> cancel(v1::TaskRecord rec,
                                                   int64_t now);

/// dead -> queued with its attempts reset, to run now.
[[nodiscard]] caf::expected<v1::TaskRecord> retry(v1::TaskRecord rec,
                                                  int64_t now);

/// queued | failed -> dead, its deadline passed.
[[nodiscard]] caf::expected<v1::TaskRecord> expire(v1::TaskRecord rec,
                                                   int64_t now);

/// running -> queued, the same attempt to run again: its lease holder
/// (an earlier incarnation) is gone.
[[nodiscard]] caf::expected<v1::TaskRecord> recover(v1::TaskRecord rec,
                                                    int64_t now);

} // namespace bsm::tasks
