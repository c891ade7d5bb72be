#include "http_api/workflow_format.hpp"

#include "workflows/run_engine.hpp"

namespace bsm::http_handlers {

namespace {

using nlohmann::json;

// JSON text as its value; text that does not parse as itself.
json value_of(const std::string& text) {
  auto x = json::parse(text, nullptr, false);
  return x.is_discarded() ? json(text) : x;
}

void put_if(json& out, const char* key, const std::string& value) {
  if (!value.empty())
    out[key] = value;
}

void put_if(json& out, const char* key, int64_t value) {
  if (value != 0)
    out[key] = value;
}

} // namespace

json workflow_json(const v1::WorkflowVersion& v) {
  json out{{"name", v.name()},
           {"version", v.version()},
           {"created_at", v.created_unix_ms()}};
  put_if(out, "created_by", v.created_by().name());
  if (!v.definition_json().empty())
    out["definition"] = value_of(v.definition_json());
  return out;
}

json run_json(const v1::RunRecord& run) {
  json out{{"run_id", run.run_id()},
           {"workflow", run.workflow()},
           {"version", run.version()},
           {"state", workflows::run_state_name(run.state())},
           {"created_at", run.created_unix_ms()},
           {"updated_at", run.updated_unix_ms()}};
  if (!run.input_json().empty())
    out["input"] = value_of(run.input_json());
  if (!run.output_json().empty())
    out["output"] = value_of(run.output_json());
  put_if(out, "error", run.error());
  put_if(out, "node", run.node());
  put_if(out, "parent_run_id", run.parent_run_id());
  put_if(out, "parent_step", run.parent_step());
  put_if(out, "started_by", run.started_by().name());
  return out;
}

json step_json(const v1::StepRecord& step) {
  json out{{"id", step.step_id()},
           {"state", workflows::step_state_name(step.state())},
           {"attempts", step.attempts()}};
  if (!step.output_json().empty())
    out["output"] = value_of(step.output_json());
  put_if(out, "error", step.error());
  put_if(out, "started_at", step.started_unix_ms());
  put_if(out, "finished_at", step.finished_unix_ms());
  put_if(out, "task_id", step.task_id());
  put_if(out, "wake_at", step.wake_unix_ms());
  put_if(out, "child_run_id", step.child_run_id());
  put_if(out, "signal", step.signal());
  return out;
}

v1::RunState run_state_from_name(const std::string& text) {
  for (auto x : {v1::RUN_STATE_RUNNING, v1::RUN_STATE_SUCCEEDED,
                 v1::RUN_STATE_FAILED, v1::RUN_STATE_CANCELLED})
    if (text == workflows::run_state_name(x))
      return x;
  return v1::RUN_STATE_UNSPECIFIED;
}

} // namespace bsm::http_handlers
