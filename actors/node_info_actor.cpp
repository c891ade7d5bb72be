#include "actors/node_info_actor.hpp"

namespace bsm {

v1::PingResponse node_info_state::pong(const v1::PingRequest& ping) const {
  v1::PingResponse result;
  result.set_sequence(ping.sequence());
  result.set_payload(ping.payload());
  result.set_node(opts.node_name);
  return result;
}

v1::NodeInfoResponse node_info_state::info() const {
  v1::NodeInfoResponse result;
  result.set_node(opts.node_name);
  result.set_version(BSM_VERSION);
  auto up = std::chrono::steady_clock::now() - opts.started_at;
  result.set_uptime_s(static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::seconds>(up).count()));
  return result;
}

node_info_actor::behavior_type node_info(node_info_pointer self,
                                         node_info_options opts) {
  self->state.opts = std::move(opts);
  return {
    [self](const v1::PingRequest& ping) { return self->state.pong(ping); },
    [self](const v1::NodeInfoRequest&) { return self->state.info(); },
  };
}

} // namespace bsm
