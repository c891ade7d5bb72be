#pragma once

// The supervision tree as GET /v1/tree answers it: JSON, or text for people.
// The text is the one rendering of the tree: the dashboard shows it and
// `bsmctl tree --output table` prints it.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::http_handlers {

/// API.md: {"name","strategy","children":[...],"restarts","state"}; an
/// unnamed node is "root", an unspecified strategy null, an unspecified
/// state "running".
nlohmann::json tree_json(const v1::TreeNode& node);

/// One line per node, "name [strategy] state restarts=n", indented two
/// spaces per level; "[strategy]" only for supervisors. Names, strategy and
/// state as in tree_json().
std::string tree_text(const v1::TreeNode& node);

/// True if an Accept header value asks for text/plain and not for JSON:
/// then GET /v1/tree answers with tree_text().
bool wants_text(std::string_view accept);

} // namespace bsm::http_handlers
