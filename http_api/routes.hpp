#pragma once

// The one list of the bridge's routes. Later features add their lines to
// make_http_routes() and their handlers beside the others.

#include <memory>

#include "actors/http_bridge.hpp"

namespace bsm {

std::shared_ptr<const http_routes> make_http_routes();

/// A route's permission from its text (permission_template.hpp). A bad
/// text is a bug in the table: throws std::invalid_argument, which the
/// route table's test finds.
security::permission_template permission(std::string_view text);

} // namespace bsm
