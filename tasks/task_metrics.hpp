#pragma once

// The task queue's metric families, registered once per node. Labels:
// `state` (queued | running | failed) and `priority` (0..9): at most 30
// series.

#include <cstdint>

#include "protocols/caf_types.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm::tasks {

struct task_metrics {
  /// bsm_tasks_depth{state,priority}: tasks waiting or running now.
  metrics::family<metrics::gauge>* depth = nullptr;
  /// bsm_task_wait_seconds: from ready to started, per attempt.
  metrics::histogram* wait = nullptr;
  /// bsm_task_run_seconds: one attempt, from start to its end.
  metrics::histogram* run = nullptr;
  /// bsm_task_attempts_total: attempts started.
  metrics::counter* attempts = nullptr;
  /// bsm_task_deferred_total: attempts refused until a known time (a
  /// spent model budget), to run again then without counting as failed.
  metrics::counter* deferred = nullptr;
  /// bsm_tasks_finished_total{state}: succeeded | dead | cancelled.
  metrics::family<metrics::counter>* finished = nullptr;

  static task_metrics make(metrics::registry& reg);

  /// A task of `priority` left `from` for `to` (UNSPECIFIED: none).
  void moved(v1::TaskState from, v1::TaskState to, uint32_t priority) const;

  /// `n` tasks of `priority` in `state` were read from the store.
  void loaded(v1::TaskState state, uint32_t priority, int64_t n) const;
};

} // namespace bsm::tasks
