#pragma once

// bsmctl cluster leave NODE [--wait]: a decommission.

#include "node/bsmctl/args.hpp"
#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

/// POSTs the leave and prints the answer; with --wait, then polls
/// GET /v1/cluster until NODE is left and prints that member. Exit codes as
/// for every command; exit_failure if NODE is not left within 10 minutes.
int run_cluster_leave(command_context& ctx, const cluster_args& args);

} // namespace bsm::ctl
