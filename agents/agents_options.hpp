#pragma once

// Where agent definitions come from (section `agents:`). The initialiser is
// the default; keys are in agents_options.cpp. Reload: SIGHUP and
// POST /v1/agents/reload re-read the definitions in these paths; the paths
// themselves need a restart.

#include <filesystem>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct agents_options {
  /// Agent definition files or folders.
  std::vector<std::filesystem::path> paths{"agents/seed/"};
};

/// The `agents:` section.
const config::section<agents_options>& agents_section();

} // namespace bsm
