#pragma once

// Asks an actor by path wherever it lives. A local owner gets the typed
// message directly; another node's actor is asked through that node's
// cluster port (RemoteAskRequest, the message as an Envelope), and its
// answer comes back decoded. An owner that is down, or not connected yet,
// fails at once with `unavailable`: no ask waits for a TCP timeout.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/duration.hpp>
#include <caf/message.hpp>

#include "actors/interfaces.hpp"
#include "actors/timed_request.hpp"
#include "runtime/clock.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

struct remote_call_env {
  std::shared_ptr<name_registry> names;
  /// Null: every path is local.
  std::shared_ptr<const cluster::directory> directory;
  const type_registry* types = nullptr;
};

using reply_handler = std::function<void(caf::message)>;
using error_handler = std::function<void(caf::error)>;

/// Where `path` would be asked: errors not_found (nobody has it) or
/// unavailable (its owner is down or not connected); `nullptr` handle with
/// no error means local.
struct call_route {
  caf::actor local;
  caf::actor remote;
  std::string node;
};

/// `msg`, the message to send, decides for memory's requests: they go to
/// the owner of their agent's partition (memory_partition.hpp).
caf::expected<call_route> route_call(const remote_call_env& env,
                                     const std::string& path,
                                     const caf::message& msg = {});

/// Builds the RemoteAskRequest for `msg` (one registered bsm.v1 message).
caf::expected<v1::RemoteAskRequest>
make_remote_ask(const remote_call_env& env, const std::string& path,
                const caf::message& msg, std::chrono::milliseconds timeout);

/// Decodes a RemoteAskResponse's reply into its typed message.
caf::expected<caf::message> decode_remote_reply(const remote_call_env& env,
                                                const v1::RemoteAskResponse& r);

/// Tells `path` `msg` wherever it lives, without durability: at most once,
/// in order per sender (a local actor gets it directly, another node's
/// through its cluster port as a RemoteTell). Errors: as for route_call;
/// invalid_argument for a message that is not one registered bsm.v1 type.
caf::error tell_anywhere(const remote_call_env& env, const std::string& path,
                         const caf::message& msg);

namespace detail {

// A remote answer decoded into its typed message for `on_reply`.
inline auto decoded_reply(remote_call_env env, reply_handler on_reply,
                          error_handler on_error) {
  return [env = std::move(env), on_reply = std::move(on_reply),
          on_error](v1::RemoteAskResponse& resp) {
    auto reply = decode_remote_reply(env, resp);
    if (!reply)
      return on_error(reply.error());
    on_reply(std::move(*reply));
  };
}

// A failed remote call; a node that went away is `unavailable`.
inline auto remote_failure(std::string node, error_handler on_error) {
  return
    [node = std::move(node), on_error = std::move(on_error)](caf::error& err) {
      if (err == caf::sec::request_receiver_down
          || err == caf::sec::remote_linking_failed)
        err = make_error(errc::unavailable,
                         "node " + node + " went away during the call");
      on_error(std::move(err));
    };
}

// An agent's answer, which must be a ChatReply, for `on_reply`.
template <class OnReply>
reply_handler chat_reply_of(OnReply on_reply, error_handler on_error) {
  return [on_reply, on_error](caf::message msg) {
    if (!msg.match_elements<v1::ChatReply>())
      return on_error(
        make_error(errc::internal, "the agent answered with another type"));
    on_reply(msg.get_as<v1::ChatReply>(0));
  };
}

} // namespace detail

/// Asks `path` on the node `route` names (as route_call found it, or a
/// handle the caller chose) with `msg` within `timeout`; exactly one of
/// the handlers runs, in `self`'s context. An answer of an unregistered
/// type is sec::unexpected_response. With `deadlines` (the caller's, whose
/// behavior handles atom::deadline) the timeout costs no CAF clock entry.
template <class Self>
void ask_routed(Self* self, const remote_call_env& env, const call_route& route,
                const std::string& path, caf::message msg,
                std::chrono::milliseconds timeout, reply_handler on_reply,
                error_handler on_error,
                request_deadlines* deadlines = nullptr) {
  // One request and one handler either way: the reply handler covers every
  // bsm.v1 type, too big to instantiate twice.
  caf::duration within{timeout};
  if (deadlines)
    within = caf::infinite;
  // With deadlines: whichever handler runs settles the request's deadline.
  auto watch = [&](caf::message_id mid) {
    if (!deadlines)
      return;
    on_reply = detail::settle_then(*deadlines, mid, std::move(on_reply));
    on_error = detail::settle_then(*deadlines, mid, std::move(on_error));
    deadlines->watch(self, mid, timeout);
  };
  if (route.local) {
    auto handle = self->request(route.local, within, std::move(msg));
    watch(handle.id());
    self->add_multiplexed_response_handler(
      handle.id(), any_bsm_v1_reply(std::move(on_reply), std::move(on_error)));
    return;
  }
  auto req = make_remote_ask(env, path, msg, timeout);
  if (!req)
    return on_error(req.error());
  auto handle
    = self->request(caf::actor_cast<cluster_ingress_actor>(route.remote),
                    within, std::move(*req));
  watch(handle.id());
  handle.then(detail::decoded_reply(env, on_reply, on_error),
              detail::remote_failure(route.node, on_error));
}

/// Asks `path` with `msg` wherever it lives (route_call, then ask_routed).
template <class Self>
void ask_anywhere(Self* self, const remote_call_env& env,
                  const std::string& path, caf::message msg,
                  std::chrono::milliseconds timeout, reply_handler on_reply,
                  error_handler on_error,
                  request_deadlines* deadlines = nullptr) {
  auto route = route_call(env, path, msg);
  if (!route)
    return on_error(route.error());
  ask_routed(self, env, *route, path, std::move(msg), timeout,
             std::move(on_reply), std::move(on_error), deadlines);
}

/// Asks `path` on the member `node` (not the owner resolution decides:
/// one node of a replica set) with `msg` within `timeout`, through its
/// cluster port. Errors: unavailable when `node` is not connected or goes
/// away.
template <class Self>
void ask_node(Self* self, const remote_call_env& env, const std::string& node,
              const std::string& path, caf::message msg,
              std::chrono::milliseconds timeout, reply_handler on_reply,
              error_handler on_error) {
  // Not through ask_routed: its deadline branch needs an actor that
  // handles atom::deadline, which the callers (memory) need not.
  auto remote = env.directory->connection(node);
  if (!remote)
    return on_error(
      make_error(errc::unavailable, "node " + node + " is not connected"));
  auto req = make_remote_ask(env, path, msg, timeout);
  if (!req)
    return on_error(req.error());
  self
    ->request(caf::actor_cast<cluster_ingress_actor>(remote),
              caf::duration{timeout}, std::move(*req))
    .then(detail::decoded_reply(env, on_reply, on_error),
          detail::remote_failure(node, on_error));
}

/// A turn of the agent `req.agent()` wherever it lives: `on_reply` gets
/// its ChatReply; an answer of another type is an `internal` error.
template <class Self, class OnReply>
void ask_agent_anywhere(Self* self, const remote_call_env& env,
                        v1::ChatRequest req, std::chrono::milliseconds timeout,
                        OnReply on_reply, error_handler on_error,
                        request_deadlines* deadlines = nullptr) {
  auto path = agent_path(req.agent());
  ask_anywhere(self, env, path, caf::make_message(std::move(req)), timeout,
               detail::chat_reply_of(on_reply, on_error), on_error, deadlines);
}

/// A streamed turn of the agent `req.agent()` on the node `route` names
/// (as route_call found it): the agent sends v1::ChatDelta to `sink` as the
/// answer is produced, across the cluster port when it lives elsewhere
/// (the sink travels as an actor handle), then `on_reply` gets its
/// ChatReply; exactly one of the handlers runs, in `self`'s context.
template <class Self, class OnReply>
void ask_agent_streamed(Self* self, const remote_call_env& env,
                        const call_route& route, v1::ChatRequest req,
                        caf::actor sink, std::chrono::milliseconds timeout,
                        OnReply on_reply, error_handler on_error) {
  if (route.local) {
    self
      ->request(caf::actor_cast<agent_actor>(route.local), timeout,
                std::move(req), std::move(sink))
      .then([on_reply](v1::ChatReply& reply) { on_reply(reply); },
            [on_error](caf::error& err) { on_error(std::move(err)); });
    return;
  }
  auto path = agent_path(req.agent());
  auto ask
    = make_remote_ask(env, path, caf::make_message(std::move(req)), timeout);
  if (!ask)
    return on_error(ask.error());
  self
    ->request(caf::actor_cast<cluster_ingress_actor>(route.remote), timeout,
              std::move(*ask), std::move(sink))
    .then(detail::decoded_reply(env, detail::chat_reply_of(on_reply, on_error),
                                on_error),
          detail::remote_failure(route.node, on_error));
}

} // namespace bsm
