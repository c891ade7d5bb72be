#pragma once

// A durable send from an actor on this node, the way the HTTP bridge sends
// a tell: straight to the target's mailbox when it runs here and no
// placement rule may move the name (listed in local_mailboxes), otherwise
// through the mailbox router. The direct way skips one actor hop per send;
// the checks and the message id are the router's, made by the sender.
//
// A listed mailbox that stopped before it took the request never appended
// it (CAF answers request_receiver_down): the send then goes to the router,
// which starts a new mailbox, so the caller sees no difference.

#include <memory>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <google/protobuf/message.h>

#include "actors/interfaces.hpp"
#include "actors/mailbox_router.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/mailbox/local_mailboxes.hpp"
#include "runtime/mailbox/message_id.hpp"
#include "runtime/messages/type_registry.hpp"

namespace bsm {

/// The mailbox of the envelope's target if a send may skip the router:
/// listed in `mailboxes` (may be null), not placed by `directory` (may be
/// null; the router's own test, actors/mailbox_router.cpp) and, for a
/// memory request, its agent's partition kept here
/// (actors/memory_partition.hpp). Null otherwise.
caf::actor direct_mailbox(const local_mailboxes* mailboxes,
                          const cluster::directory* directory,
                          const v1::Envelope& envelope);

/// What an actor needs to send durably on this node. The route itself and
/// every pointer in it must outlive the sends (keep it in the actor's
/// state).
struct durable_route {
  mailbox_router_actor router;
  /// Null: every send goes through the router.
  std::shared_ptr<const local_mailboxes> mailboxes;
  std::shared_ptr<const cluster::directory> directory;
  const type_registry* types = nullptr;
  /// mailbox.max_envelope_bytes, as the router checks it.
  size_t max_envelope_bytes = 0;
};

namespace detail {

/// Sends `req` to `dest` without a CAF timeout; on request_receiver_down
/// from a direct mailbox, again through the router.
template <class Self, class OnDone, class OnError>
void send_durable_to(Self* self, const durable_route& route,
                     const caf::actor& dest, bool direct, caf::message req,
                     OnDone done, OnError fail) {
  auto retry = direct ? req : caf::message{};
  self->request(dest, caf::infinite, std::move(req))
    .then([done](v1::SendResponse& resp) mutable { done(resp); },
          [self, &route, direct, retry = std::move(retry), done,
           fail](caf::error& err) mutable {
            if (direct && err == caf::sec::request_receiver_down)
              return send_durable_to(
                self, route, caf::actor_cast<caf::actor>(route.router), false,
                std::move(retry), std::move(done), std::move(fail));
            fail(err);
          });
}

template <class Self, class OnDone, class OnError>
void send_durable(Self* self, const durable_route& route, v1::SendRequest req,
                  payload_check payload, OnDone done, OnError fail) {
  auto& envelope = *req.mutable_envelope();
  auto box
    = direct_mailbox(route.mailboxes.get(), route.directory.get(), envelope);
  if (!box)
    return send_durable_to(
      self, route, caf::actor_cast<caf::actor>(route.router), false,
      caf::make_message(std::move(req)), std::move(done), std::move(fail));
  if (auto err = check_envelope(*route.types, route.max_envelope_bytes,
                                envelope, payload)) {
    fail(err);
    return;
  }
  if (envelope.id().empty())
    envelope.set_id(new_message_id());
  send_durable_to(self, route, box, true, caf::make_message(std::move(req)),
                  std::move(done), std::move(fail));
}

} // namespace detail

/// Appends `req` durably and calls `done(v1::SendResponse&)` once it is on
/// disk (or a duplicate), else `fail(caf::error&)` with the router's or the
/// mailbox's error (mailbox.proto). When the send skips the router, the
/// router's checks are made here, the payload parsed back included.
template <class Self, class OnDone, class OnError>
void send_durable(Self* self, const durable_route& route, v1::SendRequest req,
                  OnDone done, OnError fail) {
  detail::send_durable(self, route, std::move(req), payload_check::decode,
                       std::move(done), std::move(fail));
}

/// As above with `msg` as the envelope's payload and type: made from a
/// message here, the payload needs no parsing back when the send skips the
/// router. REQUIRES: `req`'s envelope has a target and no payload.
template <class Self, class OnDone, class OnError>
void send_durable(Self* self, const durable_route& route, v1::SendRequest req,
                  const google::protobuf::Message& msg, OnDone done,
                  OnError fail) {
  auto& envelope = *req.mutable_envelope();
  envelope.set_type_name(msg.GetDescriptor()->full_name());
  msg.SerializeToString(envelope.mutable_payload());
  detail::send_durable(self, route, std::move(req),
                       payload_check::already_decoded, std::move(done),
                       std::move(fail));
}

} // namespace bsm
