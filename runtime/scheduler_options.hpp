#pragma once

// How CAF's workers find work (section `scheduler:`). The initialisers are
// the defaults; keys and ranges are in scheduler_options.cpp. Reload:
// none; a change needs a restart.

#include <cstdint>

#include "runtime/config/config_section.hpp"

namespace bsm {

enum class scheduler_policy {
  /// Per-worker queues; idle workers poll, then sleep in short steps.
  stealing,
  /// One shared queue; idle workers block on a condition variable.
  sharing,
};

struct scheduler_options {
  /// CAF worker threads; 0 means one per core not taken by the HTTP I/O
  /// threads (at least one).
  uint32_t threads = 0;
  /// Measured on 2 cores (docs/BENCHMARKS.md): polling idle workers
  /// (stealing) take the CPU the I/O threads need, so sharing.
  scheduler_policy policy = scheduler_policy::sharing;
};

/// The `scheduler:` section.
const config::section<scheduler_options>& scheduler_section();

} // namespace bsm
