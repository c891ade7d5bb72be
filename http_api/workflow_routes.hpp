#pragma once

// The workflow routes' handlers (workflow_routes.cpp; API.md,
// "Workflows"), bound in routes.cpp.

#include "http_api/handlers.hpp"

namespace bsm::http_handlers {

/// PUT /v1/workflows/{name}: a definition (JSON, or YAML as
/// application/yaml) stored as a version.
void put_workflow(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/workflows: the newest version of each.
void list_workflows(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/workflows/{name}?version=: a version with its definition.
void get_workflow(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/workflows/{name}/runs: starts a run (202 once on disk).
void start_run(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/runs/{id}: a run with every step.
void get_run(http_bridge_pointer self, ex_ptr ex);
/// GET /v1/runs?workflow=&state=&limit=&after=.
void list_runs(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/runs/{id}/cancel.
void cancel_run(http_bridge_pointer self, ex_ptr ex);
/// POST /v1/runs/{id}/signals/{name}: an approval's answer.
void signal_run(http_bridge_pointer self, ex_ptr ex);

} // namespace bsm::http_handlers
