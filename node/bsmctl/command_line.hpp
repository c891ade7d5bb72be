#pragma once

// bsmctl's commands, options and help texts as one CLI11 tree. Parsing
// (args.cpp), `bsmctl help CMD` and the bash completion (completion.cpp)
// all read this one tree, so they cannot disagree.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "node/bsmctl/args.hpp"

namespace bsm::ctl {

/// What CLI11 stores as text, checked after the parse with bsmctl's own
/// messages (args.cpp).
struct raw_words {
  std::string output;
  std::string count;
  std::string timeout;
  std::string timeout_ms;
  std::string expires_in_s;
  std::string limit;
  std::optional<std::string> payload;
  std::optional<std::string> chat_input;
  /// questions answer: --accept JSON, --decline, --cancel.
  std::optional<std::string> accept;
  bool decline = false;
  bool cancel = false;
  std::vector<std::string> help_words;
  std::vector<std::string> login_words;
  std::string shell;
  bool version = false;
};

/// The tree, its options bound to `out` and `raw`, which must outlive it.
std::unique_ptr<CLI::App> make_command_line(bsmctl_args& out, raw_words& raw);

/// The help of the command named by `words` below `app` (the whole tree
/// for none); nullopt if there is no such command.
std::optional<std::string> command_help(const CLI::App& app,
                                        const std::vector<std::string>& words);

} // namespace bsm::ctl
