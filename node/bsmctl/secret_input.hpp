#pragma once

// Reading a password or API key for bsmctl: one line from stdin, never a
// command-line argument (argv is visible to every user in ps), never
// echoed when stdin is a terminal, never kept anywhere but in memory.

#include <cstddef>
#include <istream>
#include <string>

#include <caf/expected.hpp>

#include "node/bsmctl/commands.hpp"

namespace bsm::ctl {

/// Longest secret read; the server takes passwords up to 1024 bytes.
constexpr size_t max_secret_bytes = 4096;

/// Reads one line (without its "\n" or "\r\n") of at most `max_bytes`.
/// Errors: `invalid_argument` naming `what` when the line is empty or
/// longer (never quoting it).
[[nodiscard]] caf::expected<std::string>
read_secret_line(std::istream& in, const std::string& what,
                 size_t max_bytes = max_secret_bytes);

/// `read_secret_line` from `io.in`; when that is the process's stdin and a
/// terminal, prompts "<what>: " on stderr and turns echo off meanwhile.
[[nodiscard]] caf::expected<std::string> prompt_secret(const console& io,
                                                       const std::string& what);

} // namespace bsm::ctl
