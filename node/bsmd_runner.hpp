#pragma once

// bsmd's whole life as a function: parse the command line, load the config,
// start the node, wait for SIGINT/SIGTERM, stop. bsmd's main() is one call;
// test and embedding binaries pass extra children (actors of their own that
// receive durable sends by path) and get the same node, flags and exits.

#include <vector>

#include "runtime/supervision/child_spec.hpp"

namespace bsm {

/// Exit codes: 0 clean stop (or --help, --version, --check-config),
/// 1 runtime failure, 2 bad config or arguments.
int run_bsmd(int argc, char** argv, std::vector<child_spec> extra = {});

} // namespace bsm
