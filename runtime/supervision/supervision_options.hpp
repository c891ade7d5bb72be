#pragma once

// Defaults for every supervisor of the node (section `supervision:`;
// DESIGN.md, "Supervision"). The initialisers are the defaults; keys and
// ranges are in supervision_options.cpp. Reload: none; a change needs a
// restart.

#include <chrono>
#include <cstdint>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct supervision_options {
  /// At most this many restarts ...
  uint32_t max_restarts = 5;
  /// ... within this period, else the supervisor escalates.
  std::chrono::milliseconds period{10'000};
  /// Backoff before the first restart; doubles per recent restart up to
  /// backoff_max.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{10'000};
  /// Time a child gets to stop before it is killed.
  std::chrono::milliseconds shutdown_timeout{5'000};
  /// Time the whole tree gets to start before the node gives up.
  std::chrono::milliseconds start_timeout{30'000};
  /// Time a supervisor waits for a child supervisor's subtree when it
  /// describes the tree (GET /v1/tree).
  std::chrono::milliseconds tree_timeout{5'000};
};

/// The `supervision:` section.
const config::section<supervision_options>& supervision_section();

} // namespace bsm
