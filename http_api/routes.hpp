#pragma once

// The one list of the bridge's routes. Later features add their lines to
// make_http_routes() and their handlers beside the others.

#include <memory>

#include "actors/http_bridge.hpp"

namespace bsm {

std::shared_ptr<const http_routes> make_http_routes();

} // namespace bsm
