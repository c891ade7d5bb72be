#pragma once

// Command line of bsmd (CLI11):
//   bsmd [--config FILE] [--set K=V]... [--check-config] [--version] [--help]

#include <filesystem>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "node/node_config.hpp"

namespace bsm {

struct bsmd_args {
  /// Default: config/node.yaml (the embedded default).
  std::filesystem::path config = "config/node.yaml";
  std::vector<config_override> overrides;
  bool check_config = false;
  bool version = false;
  bool help = false;
};

/// Errors: `invalid_argument` naming the offending argument.
[[nodiscard]] caf::expected<bsmd_args>
parse_bsmd_args(const std::vector<std::string>& args);

/// The text of `bsmd --help`.
std::string bsmd_usage();

} // namespace bsm
