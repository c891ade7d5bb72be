#pragma once

// Options of the node's log (section `logging:`). The initialisers are the
// defaults; keys are in logging_options.cpp. Reload: none; a change needs
// a restart.

#include <filesystem>
#include <string>

#include "runtime/config/config_section.hpp"

namespace bsm {

enum class log_format { text, json };

struct logging_options {
  /// trace, debug, info, warn, error, critical or off.
  std::string level = "info";
  log_format format = log_format::text;
  /// Log file; empty means standard error.
  std::filesystem::path file;
};

/// The `logging:` section.
const config::section<logging_options>& logging_section();

} // namespace bsm
