#pragma once

// `bsmctl send`: one message from the command line, or `--batch`, one
// message per stdin line over one keep-alive connection.

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// Sends one message (payload from the arguments or, for `-`, stdin) and
/// prints the answer. Exit codes as documented in `bsmctl_usage`.
int run_send(command_context& ctx, const send_args& args);

/// Sends every line of stdin in order and prints one result line per input
/// line ({"line","status","response"|"error"}). Returns `exit_unreachable`
/// if any line could not reach the server, else `exit_failure` if any line
/// failed, else `exit_ok`.
int run_send_batch(command_context& ctx, const send_args& args);

} // namespace bsm::ctl
