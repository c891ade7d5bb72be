#pragma once

// The workflow engine's metric families, registered once per node.
// Labels are states: at most 4 run series and 7 step series.

#include "bsm/v1/workflows.pb.h"
#include "runtime/metrics/registry.hpp"

namespace bsm::workflows {

struct workflow_metrics {
  /// bsm_workflow_runs_total{state}: runs started (running) and ended
  /// (succeeded, failed, cancelled).
  metrics::family<metrics::counter>* runs = nullptr;
  /// bsm_workflow_runs_running: runs this node drives now.
  metrics::gauge* running = nullptr;
  /// bsm_workflow_step_moves_total{state}: step records written, by the
  /// state they moved to.
  metrics::family<metrics::counter>* steps = nullptr;

  static workflow_metrics make(metrics::registry& reg);
};

} // namespace bsm::workflows
