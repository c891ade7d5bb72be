#pragma once

#include <memory>

#include <caf/actor_system_config.hpp>
#include <spdlog/logger.h>

#include "runtime/scheduler_options.hpp"

namespace bsm::metrics {
class actor_stats_collector;
} // namespace bsm::metrics

namespace bsm {

/// The CAF configuration of every BSM actor system: registers the bsm.v1
/// message types and the bsm error category, sizes the scheduler, and
/// carries the statistics collector that `instrumented` actors report to
/// and the logger they report unexpected messages to.
class system_config : public caf::actor_system_config {
public:
  /// `stats` may be null (no per-actor statistics).
  /// REQUIRES: `stats` outlives every actor system made from this config.
  /// `log`, if set, is where the runtime's actors report messages they do
  /// not handle (runtime/logging/unexpected_message.hpp).
  explicit system_config(const scheduler_options& opts = {},
                         metrics::actor_stats_collector* stats = nullptr,
                         std::shared_ptr<spdlog::logger> log = nullptr);

  metrics::actor_stats_collector* stats_collector() const noexcept {
    return stats_;
  }

  const std::shared_ptr<spdlog::logger>& log() const noexcept {
    return log_;
  }

private:
  metrics::actor_stats_collector* stats_;
  std::shared_ptr<spdlog::logger> log_;
};

} // namespace bsm
