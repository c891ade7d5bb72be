#include "workflows/workflow_metrics.hpp"

namespace bsm::workflows {

workflow_metrics workflow_metrics::make(metrics::registry& reg) {
  workflow_metrics m;
  m.runs = &reg.counter_family(
    "bsm_workflow_runs_total",
    "Workflow runs started (state running) and ended, by state.", {"state"});
  m.running = &reg
                 .gauge_family("bsm_workflow_runs_running",
                               "Workflow runs this node drives now.")
                 .with();
  m.steps = &reg.counter_family(
    "bsm_workflow_step_moves_total",
    "Workflow step records written, by the state they moved to.", {"state"});
  return m;
}

} // namespace bsm::workflows
