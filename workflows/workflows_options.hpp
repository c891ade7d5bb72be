#pragma once

// The workflow engine (section `workflows:`; workflows_actor.hpp). The
// initialisers are the defaults; keys and ranges are in
// workflows_options.cpp. Reload: a restart.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm::workflows {

struct workflows_options {
  /// Definition files (*.yaml, *.yml, *.json) or folders of them, read at
  /// start: each is stored as a version of its name (the same definition
  /// again is no new version). A file with a problem stops the start.
  std::vector<std::filesystem::path> paths;
  /// Runs running at once on this node (each holds its engine and its
  /// steps' records in memory); a start beyond them is refused (429).
  uint64_t max_running = 10'000;
  /// The largest definition (PUT) and run input accepted, in bytes.
  uint64_t max_body_bytes = 1 << 20;
  /// The most items a `map` step runs over; a longer list fails the step.
  uint64_t max_map_items = 10'000;
  /// The most bytes of one step's output kept; a larger one fails it.
  uint64_t max_output_bytes = 1 << 20;
};

/// The `workflows:` section.
const config::section<workflows_options>& workflows_section();

} // namespace bsm::workflows
