#pragma once

// Idempotency-Key on POSTs that create work (API.md, after the IETF
// httpapi draft): the same key and the same request return the first
// answer and cause one effect, also across restarts and through any node;
// the same key while the first request is in flight anywhere is 409; with
// another request, 422.
//
// The key's record and its in-flight claim are kept by the
// `http_idempotency` store of the node that owns the request's target
// (actors/http_idempotency_store.hpp), asked through the cluster port when
// that is another node. If that node cannot be reached the answer is 503
// with Retry-After: a record kept here instead would let a retry through
// another node run the request a second time.

#include <chrono>
#include <functional>
#include <string>

#include <caf/message.hpp>

#include "actors/http_bridge.hpp"

namespace bsm::http_handlers {

/// Sends the answer of a request; called on the bridge actor.
using responder = std::function<void(http::response)>;

/// Where a request's key is checked, and for how long it may run.
struct idempotency_home {
  /// The request's target and message: the key is checked at the node
  /// that owns them, as route_call decides (an agent's owner, the owner of
  /// memory's partition). Empty: at this node (durable tells, whose key
  /// the owner's mailbox checks as well).
  std::string target;
  caf::message msg;
  /// How long the request may take; its claim's lease is this plus
  /// http.internal_timeout.
  std::chrono::milliseconds timeout{0};
};

/// Runs `work` for `ex` unless its Idempotency-Key was seen: then replays
/// the stored answer (with `Idempotent-Replayed: true`) or refuses it.
/// Answers that a retry could change (5xx, 408, 409, 429) are not stored.
void with_idempotency(http_bridge_pointer self, const http::exchange_ptr& ex,
                      idempotency_home home,
                      std::function<void(responder)> work);

/// The Idempotency-Key of `ex`, if it has a usable one; an error for a key
/// that is empty, over 255 bytes or not printable ASCII.
caf::expected<std::optional<std::string>>
idempotency_key_of(const http::request& req);

} // namespace bsm::http_handlers
