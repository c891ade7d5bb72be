#pragma once

// `bsmctl budgets [list]` (API.md, "Budgets"): every model budget counter
// of the cluster with its use and what remains.

#include <string>

#include "node/bsmctl/output.hpp"

namespace bsm::ctl {

/// GET /v1/budgets as NAME SCOPE KEY LIMIT USED REMAINING RESETS_AT NODE,
/// then a line naming the members that did not answer, if any.
std::string budgets_table(const ordered_json& doc);

} // namespace bsm::ctl
