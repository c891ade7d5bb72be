#pragma once

#include <caf/actor_system_config.hpp>

#include "runtime/scheduler_options.hpp"

namespace bsm::metrics {
class actor_stats_collector;
} // namespace bsm::metrics

namespace bsm {

/// The CAF configuration of every BSM actor system: registers the bsm.v1
/// message types and the bsm error category, sizes the scheduler, and
/// carries the statistics collector that `instrumented` actors report to.
class system_config : public caf::actor_system_config {
public:
  /// `stats` may be null (no per-actor statistics).
  /// REQUIRES: `stats` outlives every actor system made from this config.
  explicit system_config(const scheduler_options& opts = {},
                         metrics::actor_stats_collector* stats = nullptr);

  metrics::actor_stats_collector* stats_collector() const noexcept {
    return stats_;
  }

private:
  metrics::actor_stats_collector* stats_;
};

} // namespace bsm
