#pragma once

// The detached worker that keeps this node's record and liveness key in
// the Redis membership table (cluster.membership: redis://...). Its
// hiredis calls block its own thread only. A lost connection is reported
// as an error and tried again on the next call, so a Redis restart needs
// no node restart. It stops after a stopping heartbeat (a graceful stop:
// the liveness key goes, the record stays), a leaving one (a decommission:
// both go) or when `owner` stops.

#include <chrono>

#include <caf/actor_addr.hpp>

#include "actors/interfaces.hpp"
#include "runtime/cluster/redis_membership.hpp"

namespace bsm {

struct cluster_table_options {
  cluster::redis_url url;
  /// TTL of this node's liveness key; refreshed on every call.
  std::chrono::milliseconds ttl{5000};
  /// Connect and command timeout.
  std::chrono::milliseconds timeout{2000};
};

cluster_table_actor::behavior_type
cluster_table(cluster_table_actor::pointer self, cluster_table_options opts,
              caf::actor_addr owner);

} // namespace bsm
