#pragma once

// `bsmctl workflows put|get|list|run` and `bsmctl runs
// get|list|cancel|signal|watch` (API.md, "Workflows").

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// put: PUT /v1/workflows/NAME with FILE (YAML, or JSON by its name);
/// get: GET /v1/workflows/NAME; list: GET /v1/workflows; run: POST
/// /v1/workflows/NAME/runs.
int run_workflows(command_context& ctx, const workflows_args& args);

/// get: GET /v1/runs/ID; list: GET /v1/runs; cancel: POST
/// /v1/runs/ID/cancel; signal: POST /v1/runs/ID/signals/STEP; watch: the
/// run's workflow.# events until it ends.
int run_runs(command_context& ctx, const runs_args& args);

/// GET /v1/runs/ID as STEP STATE ATTEMPTS ERROR, or GET /v1/runs as
/// RUN WORKFLOW STATE ERROR.
std::string runs_table(const ordered_json& doc);

} // namespace bsm::ctl
