#include "actors/state_transfer.hpp"

#include "runtime/error.hpp"

namespace bsm::detail {

v1::StateChunkRequest state_transfer_run::request() const {
  v1::StateChunkRequest req;
  if (env.directory) {
    req.set_from_node(env.directory->self());
    req.set_from_incarnation(env.directory->incarnation());
  }
  *req.mutable_chunk() = current;
  return req;
}

caf::error state_transfer_run::read_next() {
  auto chunk = chunker->next();
  if (!chunk)
    return chunk.error();
  current = std::move(*chunk);
  attempts = 0;
  return caf::none;
}

bool state_transfer_run::answered() {
  ++result.chunks;
  result.entries += static_cast<uint64_t>(current.entries_size());
  for (const auto& e : current.entries())
    result.bytes += e.key().size() + e.value().size();
  return current.last();
}

bool state_transfer_run::restart_on(const caf::error& err) {
  // The receiver refuses a chunk it cannot place with invalid_argument;
  // chunk 0 it always takes, so only a later one can be out of order.
  if (restarted || current.seq() == 0 || !is(err, errc::invalid_argument))
    return false;
  restarted = true;
  chunker = std::make_unique<state_chunker>(*db, result.agent, opts.limits);
  return true;
}

void state_transfer_run::finish(caf::error err) {
  result.error = std::move(err);
  if (done) {
    auto callback = std::move(done);
    done = nullptr;
    callback(std::move(result));
  }
}

caf::expected<call_route> route_to_memory(const remote_call_env& env,
                                          const std::string& node) {
  call_route route;
  route.node = node;
  if (!env.directory || node == env.directory->self()) {
    auto handle = env.names->get(memory_path);
    if (!handle)
      return make_error(errc::unavailable, "memory is not running");
    route.local = *handle;
    return route;
  }
  route.remote = env.directory->connection(node);
  if (!route.remote)
    return make_error(errc::unavailable, "node " + node + " is not connected");
  return route;
}

caf::expected<v1::StateChunkResponse>
decode_chunk_reply(const remote_call_env& env, const v1::RemoteAskResponse& r) {
  auto msg = decode_remote_reply(env, r);
  if (!msg)
    return msg.error();
  if (!msg->match_elements<v1::StateChunkResponse>())
    return make_error(errc::internal,
                      "memory answered a state chunk with another type");
  return msg->get_as<v1::StateChunkResponse>(0);
}

} // namespace bsm::detail
