#pragma once

// `bsmctl tasks submit|get|list|cancel|retry|watch` (API.md, "Tasks").

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// submit: POST /v1/tasks; get: GET /v1/tasks/ID; list: GET /v1/tasks;
/// cancel: DELETE /v1/tasks/ID; retry: POST /v1/tasks/ID/retry; watch:
/// the task.# events (of one task until it ends, with an ID).
int run_tasks(command_context& ctx, const tasks_args& args);

/// The body of POST /v1/tasks for `args`.
ordered_json task_request(const tasks_args& args);

/// GET /v1/tasks as ID STATE PRIORITY ATTEMPTS TARGET ERROR.
std::string tasks_table(const ordered_json& doc);

} // namespace bsm::ctl
