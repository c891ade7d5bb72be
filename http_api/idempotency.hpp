#pragma once

// Idempotency-Key on POSTs that create work (API.md, after the IETF
// httpapi draft): the same key and the same request return the first
// answer and cause one effect, also across restarts; the same key while
// the first request is in flight is 409; with another request, 422.

#include <functional>

#include "actors/http_bridge.hpp"

namespace bsm::http_handlers {

/// Sends the answer of a request; called on the bridge actor.
using responder = std::function<void(http::response)>;

/// Runs `work` for `ex` unless its Idempotency-Key was seen: then replays
/// the stored answer (with `Idempotent-Replayed: true`) or refuses it.
/// Answers that a retry could change (5xx, 408, 409, 429) are not stored.
void with_idempotency(http_bridge_pointer self, const http::exchange_ptr& ex,
                      std::function<void(responder)> work);

/// The Idempotency-Key of `ex`, if it has a usable one; an error for a key
/// that is empty, over 255 bytes or not printable ASCII.
caf::expected<std::optional<std::string>>
idempotency_key_of(const http::request& req);

} // namespace bsm::http_handlers
