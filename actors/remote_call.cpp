#include "actors/remote_call.hpp"

#include <caf/send.hpp>

#include "actors/memory_partition.hpp"

namespace bsm {

caf::expected<call_route> route_call(const remote_call_env& env,
                                     const std::string& path,
                                     const caf::message& msg) {
  call_route result;
  auto here = [&]() -> caf::expected<call_route> {
    auto handle = env.names->get(path);
    if (!handle)
      return make_error(errc::not_found, "no actor named '" + path + "'");
    result.local = *handle;
    return result;
  };
  if (!env.directory)
    return here();
  auto owner
    = resolve_request(*env.directory, path, memory_partition(path, msg));
  if (!owner)
    return owner.error();
  if (owner->local)
    return here();
  result.node = owner->node;
  // A leaving owner still answers (with 503 for what it hands over).
  if (owner->state != v1::MEMBER_STATE_UP
      && owner->state != v1::MEMBER_STATE_SUSPECT
      && owner->state != v1::MEMBER_STATE_LEAVING)
    return make_error(errc::unavailable, "'" + path + "' lives on node "
                                           + owner->node + ", which is down");
  result.remote = env.directory->connection(owner->node);
  if (!result.remote)
    return make_error(errc::unavailable, "'" + path + "' lives on node "
                                           + owner->node
                                           + ", which is not connected");
  return result;
}

caf::expected<v1::RemoteAskRequest>
make_remote_ask(const remote_call_env& env, const std::string& path,
                const caf::message& msg, std::chrono::milliseconds timeout) {
  auto encoded = env.types->encode(msg);
  if (!encoded)
    return encoded.error();
  v1::RemoteAskRequest req;
  req.set_from_node(env.directory->self());
  req.set_from_incarnation(env.directory->incarnation());
  auto& envelope = *req.mutable_envelope();
  envelope.set_target(path);
  envelope.set_type_name(std::move(encoded->type_name));
  envelope.set_payload(std::move(encoded->bytes));
  envelope.set_deadline_unix_ms(unix_now_ms() + timeout.count());
  return req;
}

caf::error tell_anywhere(const remote_call_env& env, const std::string& path,
                         const caf::message& msg) {
  auto route = route_call(env, path, msg);
  if (!route)
    return route.error();
  if (route->local) {
    caf::anon_send(route->local, msg);
    return caf::none;
  }
  auto encoded = env.types->encode(msg);
  if (!encoded)
    return encoded.error();
  v1::RemoteTell tell;
  tell.set_from_node(env.directory->self());
  tell.set_from_incarnation(env.directory->incarnation());
  auto& envelope = *tell.mutable_envelope();
  envelope.set_target(path);
  envelope.set_type_name(std::move(encoded->type_name));
  envelope.set_payload(std::move(encoded->bytes));
  caf::anon_send(caf::actor_cast<cluster_ingress_actor>(route->remote),
                 std::move(tell));
  return caf::none;
}

caf::expected<caf::message>
decode_remote_reply(const remote_call_env& env,
                    const v1::RemoteAskResponse& r) {
  return env.types->decode(r.reply().type_name(), r.reply().payload());
}

} // namespace bsm
