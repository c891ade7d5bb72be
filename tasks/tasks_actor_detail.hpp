#pragma once

// The tasks actor's internals, shared by its two files: tasks_actor.cpp
// (the scheduling, the attempts, the start) and task_requests.cpp (the
// requests). Not for use outside tasks/.

#include <functional>
#include <optional>
#include <string>

#include <caf/expected.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "tasks/task_keys.hpp"
#include "tasks/task_scheduler.hpp"
#include "tasks/tasks_actor.hpp"

namespace bsm::tasks::detail {

using self_pointer = tasks_actor::stateful_pointer<tasks_state>;
/// A write's completion: its error, and the record it wrote.
using then_fn
  = std::function<void(const caf::error&, const v1::TaskRecord& written)>;

spdlog::logger& log_of(self_pointer self);

/// A waiting task as the scheduler keeps it.
scheduled_task scheduled(const v1::TaskRecord& rec);

/// Hands `rec` (which was at `prior`; none: a new task) to the store
/// writer, with the idempotency entry `index_key` unless empty; `then`
/// runs once it is on disk or failed. Until then reads see `rec`.
void write(self_pointer self, v1::TaskRecord rec,
           std::optional<index_place> prior, std::string index_key,
           then_fn then);

/// `rec` started at `now` by this node, holding a lease.
caf::expected<v1::TaskRecord>
started_at(self_pointer self, const v1::TaskRecord& rec, int64_t now);

/// `written`, a task's start, is on disk (called in its write's
/// completion): runs the attempt unless the task moved on since.
void launch(self_pointer self, v1::TaskRecord written, const std::string& key,
            const std::string& target);

/// Expires what passed its deadline, starts what may start, arms the tick.
void pump(self_pointer self);

// -- requests (task_requests.cpp) -------------------------------------------

caf::result<v1::TaskSubmitResponse> submit(self_pointer self,
                                           v1::TaskSubmitRequest& req);
caf::result<v1::TaskGetResponse> get_task(self_pointer self,
                                          const v1::TaskGetRequest& req);
caf::result<v1::TaskListResponse> list_tasks(self_pointer self,
                                             const v1::TaskListRequest& req);
caf::result<v1::TaskCancelResponse>
cancel_task(self_pointer self, const v1::TaskCancelRequest& req);
caf::result<v1::TaskRetryResponse> retry_task(self_pointer self,
                                              const v1::TaskRetryRequest& req);

} // namespace bsm::tasks::detail
