#pragma once

// Access to the HTTP API: who calls (authenticator.hpp) and whether the
// route's one permission allows it (routes.cpp). Runs in the front,
// before routing answers anything, so without valid credentials every
// path but the open ones is a 401, never a 404 or 405. Parts of a
// permission that only the body names (the message type of an injection,
// the model of a chat completion) are checked again by the handler with
// authorize_late() once it has read them.

#include <map>
#include <string>

#include "actors/http_bridge.hpp"

namespace bsm::http_access {

/// Decides for `ex` on `route` (null: no route matched, so only
/// authentication counts). On refusal answers 401 or 403 and returns
/// false; otherwise sets the exchange's principal and returns true.
bool admit(const http_bridge_env& env, const http::exchange_ptr& ex,
           const http_route* route,
           const std::vector<std::pair<std::string, std::string>>& params);

/// The per-address rate limit, before authentication. On refusal answers
/// 429 with Retry-After and returns false.
bool within_address_rate(const http_bridge_env& env,
                         const http::exchange_ptr& ex, const http_route* route);

/// The per-principal rate limit of the route's group, after admit().
bool within_principal_rate(const http_bridge_env& env,
                           const http::exchange_ptr& ex,
                           const http_route& route);

/// Takes a slot of the route's concurrency limit for the exchange's
/// principal (held as long as the exchange lives). On refusal answers 429
/// and returns false.
bool hold_slot(const http_bridge_env& env, const http::exchange_ptr& ex,
               const http_route& route);

/// New work while the memory budget is exhausted (memory_watch.hpp): a
/// request with any method but GET, HEAD and OPTIONS. On refusal answers
/// 503 `unavailable` with Retry-After, counts it and returns false.
bool within_memory_budget(const http_bridge_env& env,
                          const http::exchange_ptr& ex,
                          const http_route& route);

/// Answers `err` in the route's error shape (API.md's without a route).
void refuse(const http_route* route, const http::exchange_ptr& ex,
            const caf::error& err);

/// The permission_denied error if the principal of `ex` lacks the route's
/// permission with its `<late>` parts given; none otherwise.
caf::error authorize_late(const http_route& route, const http::exchange& ex,
                          const std::map<std::string, std::string>& late);

} // namespace bsm::http_access
