#pragma once

// Every typed actor interface of the hub, one comment line per handler.

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "protocols/caf_types.hpp"

namespace bsm {

/// Answers liveness probes and describes the node.
using node_info_actor = caf::typed_actor<
  /// Echoes the sequence and payload, adding the node name.
  caf::replies_to<v1::PingRequest>::with<v1::PingResponse>,
  /// Reports node name, version and uptime.
  caf::replies_to<v1::NodeInfoRequest>::with<v1::NodeInfoResponse>>;

} // namespace bsm
