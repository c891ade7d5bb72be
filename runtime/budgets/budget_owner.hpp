#pragma once

// Which node keeps a budget key's counter: rendezvous hashing of
// "budgets/<budget>/<key>" over this node and the members that are up or
// suspect, so every node asks the same one and three nodes share one
// limit. Counters live in memory only.
//
// An owner that goes down: until the failure detector marks it down
// (cluster.down_after), asks to it fail and the model call is refused
// with `unavailable` (503 with Retry-After): budgets fail closed. Once it
// is down, placement moves its keys to the next node of their ranking,
// whose counter starts empty: a failover (or an owner's restart) can
// admit up to one more window's limit. A node that is handing its state
// over or has left keeps no counters.

#include <string>

#include <caf/expected.hpp>

#include "runtime/cluster/directory.hpp"

namespace bsm::budgets {

/// The placement key of a budget key's counter.
std::string budget_path(const std::string& budget, const std::string& key);

/// The node that keeps the counter of (`budget`, `key`). Errors:
/// unavailable while this node is joining (the owner may be a member it
/// does not know yet) or when no node may keep it.
caf::expected<cluster::owner> budget_owner(const cluster::directory& dir,
                                           const std::string& budget,
                                           const std::string& key);

} // namespace bsm::budgets
