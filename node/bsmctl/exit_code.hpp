#pragma once

// bsmctl's exit codes, a contract with the scripts that call it, and the
// mapping from client-side errors to them.

#include <string>

#include <caf/error.hpp>

namespace bsm::ctl {

/// What the process exit code tells a script.
enum exit_code : int {
  /// The command did what was asked.
  exit_ok = 0,
  /// The server answered with an error (non-2xx), or a batch line failed.
  exit_failure = 1,
  /// Bad command line or bad input (unknown option, malformed JSON).
  exit_usage = 2,
  /// The server could not be reached (connection refused, timeout).
  exit_unreachable = 3,
  /// A wait ran out: `events --count N` saw fewer than N events within
  /// its --timeout.
  exit_timeout = 4,
};

/// The table of exit codes as `bsmctl --help` and docs/CLI.md print it:
/// one line per code, "  N  meaning".
[[nodiscard]] std::string exit_code_table();

/// Maps a client-side error to its exit code: `invalid_argument` is usage,
/// `unavailable` and `deadline_exceeded` are unreachable, the rest failure.
[[nodiscard]] exit_code exit_code_for(const caf::error& err);

/// The human-readable context of a bsm error (its message), or a generic
/// rendering of the code when there is none.
[[nodiscard]] std::string describe(const caf::error& err);

} // namespace bsm::ctl
