#pragma once

#include <chrono>
#include <string>

#include "actors/interfaces.hpp"
#include "runtime/metrics/instrumented.hpp"

namespace bsm {

struct node_info_options {
  /// Name of the node, echoed in every answer.
  std::string node_name;
  /// When the node started (uptime is measured from here, not from the
  /// actor's start, so a restart of this actor does not reset it).
  std::chrono::steady_clock::time_point started_at
    = std::chrono::steady_clock::now();
};

struct node_info_state {
  static constexpr const char* name = "node_info";
  node_info_options opts;

  v1::PingResponse pong(const v1::PingRequest& ping) const;
  v1::NodeInfoResponse info() const;
};

using node_info_pointer = caf::stateful_actor<
  node_info_state,
  typed_actor_base<
    caf::replies_to<v1::PingRequest>::with<v1::PingResponse>,
    caf::replies_to<v1::NodeInfoRequest>::with<v1::NodeInfoResponse>>>*;

node_info_actor::behavior_type node_info(node_info_pointer self,
                                         node_info_options opts);

} // namespace bsm
