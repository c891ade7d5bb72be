#pragma once

// The caller of a chat is whoever the front authenticated, never what the
// client wrote: a chat route fills ChatRequest.caller from the exchange's
// principal, and an injected ChatRequest has its caller replaced, so
// delegations (agents/caller.hpp) act with the caller's own rights.

#include <string>

#include <caf/error.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/http/exchange.hpp"

namespace bsm::http_handlers {

/// Sets `req.caller()` to the principal of `ex` (an anonymous caller
/// without permissions if there is none) and clears `delivery_id`, which
/// only a delivering mailbox sets.
void stamp_caller(const http::exchange& ex, v1::ChatRequest& req);

/// The same for a ChatRequest given as a payload (protobuf JSON or binary),
/// rewritten in place. Errors: invalid_argument for a payload that does
/// not parse.
caf::error stamp_caller(const http::exchange& ex, std::string& payload,
                        bool payload_is_json);

} // namespace bsm::http_handlers
