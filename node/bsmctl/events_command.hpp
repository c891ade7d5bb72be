#pragma once

// `bsmctl events`: streams GET /v1/events (Server-Sent Events) and prints
// one event per line as it arrives.

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// Prints events matching `args.pattern` until `args.count` events were
/// printed (exit_ok) or the server ends the stream: exit_ok without a
/// count, exit_failure if fewer than `count` events came. After
/// `args.timeout` it stops: exit_timeout if a count was not reached,
/// exit_ok without a count. Events published before the stream opened are
/// not replayed.
int run_events(command_context& ctx, const events_args& args);

} // namespace bsm::ctl
