#pragma once

// The task queue's layout in the store's `tasks` column family, and its
// blocking reads (call them from a detached actor, never from a scheduler
// thread):
//   r/<task_id>                   -> TaskRecord bytes
//   s/<state digit>/<task_id>     -> "" (one index entry per task, in its
//                                    state: listing by state, and the
//                                    running tasks at start)
//   w/<ready_at 16 hex>/<task_id> -> "<state>,<priority>,<deadline>,<target>"
//                                    (the ready index: one entry per waiting
//                                    task, earliest ready first, with what
//                                    the scheduler needs, so a start reads
//                                    the tasks due now first and never the
//                                    records of the waiting ones)
//   m/ready-index                 -> "1" once the ready index is complete
//                                    (stores older than it get it built at
//                                    their first start)
//   k/<kind>:<name>\n<key>        -> task_id (idempotency keys, per
//                                    submitting principal)
// Task ids ("t-" + 12 hex digits of unix ms + "-" + 8 random hex) sort by
// creation time, so a list paged by id comes oldest first.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/write_batch.h>

#include "protocols/caf_types.hpp"
#include "runtime/store/store.hpp"
#include "tasks/task_scheduler.hpp"

namespace bsm::tasks {

/// A new task id for `now_ms` with `random` bits.
std::string make_task_id(int64_t now_ms, uint32_t random);

/// True for the ids make_task_id makes (checked before any store access).
bool valid_task_id(const std::string& id);

std::string record_key(const std::string& id);
std::string state_key(v1::TaskState state, const std::string& id);
/// The idempotency index entry of `key` submitted by `who`.
std::string idempotency_key(const v1::Principal& who, const std::string& key);

/// Where a record sits in the indexes: what a write needs to know of the
/// record it replaces.
struct index_place {
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  /// ready_at() of the record (its ready index entry while it waits).
  int64_t ready_at = 0;
};

index_place place_of(const v1::TaskRecord& rec);

/// Adds `rec` to `batch`, moving its index entries from `before` (none: a
/// new task).
rocksdb::Status put_record(rocksdb::WriteBatch& batch, const store& db,
                           const v1::TaskRecord& rec,
                           std::optional<index_place> before);

/// Adds an idempotency index entry naming `task_id`.
rocksdb::Status put_idempotency(rocksdb::WriteBatch& batch, const store& db,
                                const std::string& index_key,
                                const std::string& task_id);

/// The record of `id`. Errors: the store's (unavailable,
/// failed_precondition; a record that does not parse is internal).
[[nodiscard]] caf::expected<std::optional<v1::TaskRecord>>
read_record(const store& db, const std::string& id);

/// The task an idempotency index entry names.
[[nodiscard]] caf::expected<std::optional<std::string>>
read_idempotency(const store& db, const std::string& index_key);

/// Calls `visit` with every task in `state`, one record at a time, by id.
[[nodiscard]] caf::error
for_each_in(const store& db, v1::TaskState state,
            const std::function<void(v1::TaskRecord&&)>& visit);

/// A waiting task as the ready index keeps it.
struct ready_entry {
  scheduled_task task;
  /// Queued or failed.
  v1::TaskState state = v1::TASK_STATE_QUEUED;
};

/// Visits at most `max` entries of the ready index after the key `after`
/// (empty: from its start), earliest ready first. Returns the key to go on
/// after, or "" once the index ended. Errors: the store's; an entry that
/// does not parse is internal.
[[nodiscard]] caf::expected<std::string>
read_ready(const store& db, const std::string& after, size_t max,
           const std::function<void(ready_entry&&)>& visit);

/// Builds the ready index from the records of the waiting tasks unless it
/// is complete (a store written before it existed). Blocking; at start,
/// before the queue takes requests.
[[nodiscard]] caf::error ensure_ready_index(store& db);

struct list_query {
  /// UNSPECIFIED: every state.
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  /// Non-empty: only tasks of this agent.
  std::string agent;
  /// Non-empty: "key=value", only tasks with that label.
  std::string label;
  /// Most tasks answered. REQUIRES: > 0.
  uint32_t limit = 100;
  /// Ids after this one only.
  std::string after;
  /// Most records looked at in one call: with filters that match little,
  /// the page may come back short with `next` set, never unbounded work.
  uint32_t max_scanned = 10'000;
};

/// One page, by task id. `next` is set while more may follow.
[[nodiscard]] caf::expected<v1::TaskListResponse>
list_records(const store& db, const list_query& q);

} // namespace bsm::tasks
