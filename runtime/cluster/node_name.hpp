#pragma once

// The rule for node names (node.name; an agent definition's
// placement.node names a node too).

#include <string>
#include <string_view>

namespace bsm {

/// Why `name` is not a valid node name, or an empty string if it is:
/// 1..64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.
[[nodiscard]] std::string node_name_problem(std::string_view name);

} // namespace bsm
