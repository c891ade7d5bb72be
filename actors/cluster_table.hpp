#pragma once

// The detached worker that keeps this node's record in the Redis
// membership table (cluster.membership: redis://...). Its hiredis calls
// block its own thread only. A lost connection is reported as an error and
// tried again on the next call, so a Redis restart needs no node restart.
// It stops after a leaving heartbeat (clean shutdown) or when `owner` stops.

#include <chrono>

#include <caf/actor_addr.hpp>

#include "actors/interfaces.hpp"
#include "runtime/cluster/redis_membership.hpp"

namespace bsm {

struct cluster_table_options {
  cluster::redis_url url;
  /// TTL of this node's record; refreshed on every call.
  std::chrono::milliseconds ttl{5000};
  /// Connect and command timeout.
  std::chrono::milliseconds timeout{2000};
};

cluster_table_actor::behavior_type
cluster_table(cluster_table_actor::pointer self, cluster_table_options opts,
              caf::actor_addr owner);

} // namespace bsm
