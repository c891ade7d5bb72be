#pragma once

// The task queue's route handlers (task_routes.cpp; API.md, "Tasks"),
// bound in routes.cpp. Apart from handlers.hpp so the other areas' files
// do not depend on them.

#include "http_api/handlers.hpp"

namespace bsm::http_handlers {

/// POST /v1/tasks: stores a task (202 once on disk).
void submit_task(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/tasks/{id}.
void get_task(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/tasks?state=&agent=&label=&limit=&after=: a page by task id.
void list_tasks(http_bridge_pointer self, ex_ptr ex);
/// DELETE /v1/tasks/{id}: cancels it (a running turn is cancelled too).
void cancel_task(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/tasks/{id}/retry: queues a dead task again.
void retry_task(http_bridge_pointer self, ex_ptr ex);

} // namespace bsm::http_handlers
