#pragma once

// The task queue of a node (path "tasks", ARCHITECTURE "Tasks"): a thin
// adapter over the plain classes of this folder. It keeps the tasks in the
// store's `tasks` family (task_keys.hpp), writes every move of a task
// (task_lifecycle.hpp) through the node's store writer and acts on it only
// once it is on disk, starts waiting tasks as the scheduler says
// (task_scheduler.hpp), and runs an attempt as a request to its target
// wherever it lives (actors/remote_call.hpp): a chat turn to
// "agents/<name>" whose turn id and delivery id are the attempt key, or a
// typed message to a named actor.
// Spawn detached: reads (a task, a page, the waiting tasks at start) block
// its own thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <spdlog/logger.h>

#include "actors/remote_call.hpp"
#include "actors/timed_request.hpp"
#include "actors/write_completions.hpp"
#include "protocols/caf_types.hpp"
#include "runtime/events/topic_interest.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"
#include "runtime/supervision/child_spec.hpp"
#include "tasks/task_backoff.hpp"
#include "tasks/task_metrics.hpp"
#include "tasks/task_scheduler.hpp"
#include "tasks/tasks_options.hpp"

namespace bsm {

/// Where the task queue is registered.
inline constexpr const char* tasks_path = "tasks";

/// The task queue (tasks.proto for each request and its errors).
using tasks_actor = caf::typed_actor<
  /// Stores a task; answered once it is on disk.
  caf::replies_to<v1::TaskSubmitRequest>::with<v1::TaskSubmitResponse>,
  caf::replies_to<v1::TaskGetRequest>::with<v1::TaskGetResponse>,
  /// A page of tasks by id.
  caf::replies_to<v1::TaskListRequest>::with<v1::TaskListResponse>,
  caf::replies_to<v1::TaskCancelRequest>::with<v1::TaskCancelResponse>,
  /// Queues a dead task again.
  caf::replies_to<v1::TaskRetryRequest>::with<v1::TaskRetryResponse>,
  /// Internal, from the store writer: the write with this token is on disk
  /// (or failed).
  caf::reacts_to<atom::applied, uint64_t, caf::error>,
  /// Internal timer: a delayed task is due or a deadline passed.
  caf::reacts_to<atom::tick>,
  /// Internal, at start: load the next slice of the waiting tasks.
  caf::reacts_to<atom::reload>,
  /// Internal timer: attempts past their deadline (timed_request.hpp).
  caf::reacts_to<atom::deadline>>;

namespace tasks {

struct tasks_env {
  store* db = nullptr;
  store_writer* writer = nullptr;
  remote_call_env calls;
  std::string node_name;
  uint64_t incarnation = 0;
  tasks_options opts;
  /// Null: no metrics.
  std::shared_ptr<const task_metrics> metrics;
  /// The topics someone subscribed to: `task.*` events nobody would get
  /// are not built. Null: every event is published.
  std::shared_ptr<const events::topic_interest> topics;
  std::shared_ptr<spdlog::logger> log;
  /// Backoff jitter; empty: default_random_source().
  random_source random;
};

/// An attempt in flight.
struct running_attempt {
  std::string target;
  std::string key;
  int64_t started = 0;
  /// The task's record as stored when the attempt started: the one on
  /// disk unless a write of it is in flight (tasks_state::in_flight).
  v1::TaskRecord rec;
};

struct tasks_state {
  static constexpr const char* name = "tasks";

  tasks_env env;
  task_scheduler sched;
  /// "<node>#<incarnation>": the holder of this run's leases.
  std::string lease_owner;
  /// Records handed to the writer and not yet on disk (the one copy the
  /// write and its continuation share), with how many of their writes are
  /// in flight: reads see them before the store.
  std::unordered_map<std::string,
                     std::pair<std::shared_ptr<const v1::TaskRecord>, size_t>>
    unwritten;
  /// Idempotency index entries in flight, and the task each names.
  std::unordered_map<std::string, std::string> unwritten_keys;
  /// What to do once each write is done.
  write_completions writes;
  std::unordered_map<std::string, running_attempt> running;
  /// The attempts' deadlines, without a CAF clock entry each.
  request_deadlines deadlines;
  /// Submits in flight, counted against max_queued.
  size_t submitting = 0;
  /// When the armed tick fires (unix ms), if one is armed.
  std::optional<int64_t> tick_at;
  /// True while the waiting tasks load from the store after a start; the
  /// ready index key the next slice follows.
  bool loading = false;
  std::string ready_cursor;

  /// The newest record of `id`: in flight, else on disk (blocking read).
  caf::expected<std::optional<v1::TaskRecord>>
  current(const std::string& id) const;

  /// The record of `id` handed to the writer and not yet on disk, if any.
  const v1::TaskRecord* in_flight(const std::string& id) const;

  /// The task an idempotency index entry names, in flight or on disk.
  caf::expected<std::optional<std::string>>
  task_of_key(const std::string& index_key) const;
};

tasks_actor::behavior_type
tasks_service(tasks_actor::stateful_pointer<tasks_state> self, tasks_env env);

/// The `tasks` child of the root (detached, permanent).
child_spec tasks_child(tasks_env env,
                       std::chrono::milliseconds shutdown_timeout);

} // namespace tasks

} // namespace bsm
