#pragma once

// Whom a chat turn acts for (ChatRequest.caller), and what it may delegate.
//
// The node that authenticates a client puts the client's principal, with the
// permissions its roles grant, into the ChatRequest. Every ask_agent
// delegation carries it on unchanged, across nodes too, and a delegation to
// agent X needs it to allow "agents:X:chat", so an agent never does on
// someone's behalf what that someone may not.
//
// A request without a caller (internal callers, this node's HTTP routes
// before they set one, older senders) is trusted only as far as where it
// came from:
// - from an actor of this node that does not relay outside input: the
//   local principal (every permission), as this node's own components act;
// - from anywhere else: no sender (a tell another node relayed), an actor
//   of another process, the cluster port relaying another node's ask, a
//   mailbox delivering a durable send (from a client or another node): a
//   caller without permissions. Its turn runs; it delegates to nobody.

#include <string>
#include <string_view>

#include "protocols/caf_types.hpp"
#include "runtime/security/permission.hpp"

namespace bsm::agents {

/// Where a ChatRequest came from, for a request without a caller.
enum class request_origin {
  /// One of this node's own components.
  this_node,
  /// Another process, or input a local actor relays from outside.
  outside,
};

/// The origin of a request from a sender that is `present`, runs in this
/// process when `same_node`, and whose actor type is named `sender_name`
/// (CAF's name(): the cluster port and the mailboxes relay outside input).
[[nodiscard]] request_origin origin_of(bool present, bool same_node,
                                       std::string_view sender_name);

/// This node's own components: name and kind "local", permission "*".
[[nodiscard]] v1::Principal local_principal();

/// A caller nobody vouched for: name and kind "anonymous", no permissions.
[[nodiscard]] v1::Principal anonymous_principal();

/// The caller of a request without one: the local principal for a request
/// from this node, otherwise the anonymous one.
[[nodiscard]] v1::Principal default_caller(request_origin origin);

/// Sets `req.caller()` when it is unset (default_caller). A set caller is
/// kept. `Request`: ChatRequest, TurnCancelRequest.
template <class Request>
void settle_caller(Request& req, request_origin origin) {
  if (!req.has_caller())
    *req.mutable_caller() = default_caller(origin);
}

/// Whether `canceller` may cancel a turn of `agent` acting for `owner`: its
/// own turn (same name and kind; never the anonymous caller's), or with
/// "agents:<agent>:cancel".
[[nodiscard]] bool may_cancel(const v1::Principal& canceller,
                              const v1::Principal& owner,
                              const std::string& agent);

/// The grants of `caller`. A grant that does not parse grants nothing.
[[nodiscard]] security::permission_set grants_of(const v1::Principal& caller);

/// What a delegation to `agent` needs: "agents:<agent>:chat".
[[nodiscard]] std::string chat_permission(const std::string& agent);

} // namespace bsm::agents
