#pragma once

// The bsmctl commands: each turns parsed arguments into HTTP requests to
// the node's bridge (API.md) and prints the answers.

#include <iosfwd>

#include "node/bsmctl/args.hpp"

namespace bsm::ctl {

/// Where a command reads input and writes output and diagnostics.
struct console {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

/// Runs the command in `args` and returns the process exit code
/// (`exit_code`). Answers go to `io.out`, diagnostics to `io.err`.
/// REQUIRES: a live `curl_global`.
int run_command(const bsmctl_args& args, const console& io);

} // namespace bsm::ctl
