#pragma once

// The front of the HTTP bridge, on the server's I/O threads: one normal
// form of the path, CORS, access (access_gate.hpp), route matching, 404
// and 405, draining, and the answers made from memory. Every other
// request goes to the bridge actor (actors/http_bridge.hpp).

#include <memory>

#include "actors/http_bridge.hpp"

namespace bsm {

/// The HTTP server's dispatcher for `routes`. It finds the bridge actor by
/// name at each request, so the actor may restart.
http::dispatcher make_http_front(std::shared_ptr<const http_bridge_env> env,
                                 std::shared_ptr<const http_routes> routes);

} // namespace bsm
