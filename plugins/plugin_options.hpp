#pragma once

// Plugins (section `plugins:`): the shared libraries bsmd loads at start
// (plugin_loader.hpp) and what a library that cannot be loaded means.
// The initialisers are the defaults; keys in plugin_options.cpp. Reload:
// none (plugins load once, at start).

#include <filesystem>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct plugins_options {
  /// Plugin libraries, or folders whose "*.so" files are loaded in name
  /// order. Relative paths are relative to the working directory.
  /// Default: none.
  std::vector<std::filesystem::path> paths;
  /// True: a plugin that cannot be loaded stops bsmd at start (exit 2, one
  /// line naming it and why). False: it is skipped, logged, listed by
  /// GET /v1/plugins with its reason and counted. Default: false.
  bool required = false;
};

/// The `plugins:` section.
const config::section<plugins_options>& plugins_section();

} // namespace bsm
