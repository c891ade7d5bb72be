#pragma once

// The caller of a request that acts for someone (a chat, a turn's cancel)
// is whoever the front authenticated, never what the client wrote: a route
// fills the request's `caller` from the exchange's principal, and an
// injected one has its caller replaced, so delegations (agents/caller.hpp)
// act with the caller's own rights and nobody cancels another's turn by
// naming them.

#include <string>

#include <caf/error.hpp>
#include <google/protobuf/message.h>

#include "protocols/caf_types.hpp"
#include "runtime/http/exchange.hpp"

namespace bsm::http_handlers {

/// The principal of `ex` as a message carries it (an anonymous caller
/// without permissions if there is none).
v1::Principal caller_of(const http::exchange& ex);

/// Sets `req`'s `caller` field (a Principal; every request that acts for
/// someone has one) to caller_of(ex), and clears its `delivery_id`, which
/// only a delivering mailbox sets (ChatRequest). A message without such a
/// field is left as it is.
void stamp_caller(const http::exchange& ex, google::protobuf::Message& req);

/// The same for an injected payload of type `type_name` (protobuf JSON or
/// binary), rewritten in place if the type has a `caller` field. Errors:
/// invalid_argument for a payload that does not parse.
caf::error stamp_caller(const http::exchange& ex, const std::string& type_name,
                        std::string& payload, bool payload_is_json);

} // namespace bsm::http_handlers
