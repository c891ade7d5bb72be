#pragma once

// The workflow routes' shapes (API.md, "Workflows"): versions, runs and
// their steps written as JSON. Plain functions, tested without a server.

#include <string>

#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::http_handlers {

/// A definition's version: {"name","version","created_at","created_by"}
/// and, when stored with it, "definition" (its normal form).
nlohmann::json workflow_json(const v1::WorkflowVersion& v);

/// A run without its steps: {"run_id","workflow","version","state",
/// "input","output","error","created_at","updated_at","node",
/// "parent_run_id","parent_step"} (empty fields left out).
nlohmann::json run_json(const v1::RunRecord& run);

/// A step: {"id","state","attempts","output","error","started_at",
/// "finished_at","task_id","wake_at","child_run_id","signal"}.
nlohmann::json step_json(const v1::StepRecord& step);

/// The state a `state=` query names (RUN_STATE_UNSPECIFIED if none).
v1::RunState run_state_from_name(const std::string& text);

} // namespace bsm::http_handlers
