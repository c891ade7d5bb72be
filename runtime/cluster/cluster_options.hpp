#pragma once

// Options of the cluster (section `cluster:`): how this node finds and
// watches the other members. The initialisers are the defaults; keys and
// rules are in cluster_options.cpp. The timings keep the order
// heartbeat_interval < suspect_after < down_after, and membership_ttl >
// heartbeat_interval (a live node refreshes its record in time). Reload:
// none; a change needs a restart.

#include <chrono>
#include <string>
#include <vector>

#include "runtime/config/config_section.hpp"
#include "runtime/config/listen_address.hpp"

namespace bsm {

struct cluster_options {
  /// Address of the CAF middleman (BASP).
  listen_address listen{"127.0.0.1", 7100};
  /// host:port other nodes use to reach `listen`; needed when `listen` binds
  /// 0.0.0.0 or sits behind NAT. Empty means `listen` itself. Port 0 is
  /// refused (nobody can connect to it).
  std::string advertise;
  /// host:port of other nodes; a node skips its own address.
  std::vector<std::string> seeds;
  /// "static" (the seeds) or redis://host[:port][/db]
  /// (runtime/cluster/redis_url.hpp).
  std::string membership = "static";
  /// Time between two heartbeats to each peer. Minimum: 50ms.
  std::chrono::milliseconds heartbeat_interval{500};
  /// Silence after which a peer counts as suspect (no new work placed on
  /// it).
  std::chrono::milliseconds suspect_after{1'500};
  /// Silence after which a peer counts as down (its agents move).
  std::chrono::milliseconds down_after{3'000};
  /// Limit of one connection attempt to a peer. Minimum: 100ms.
  std::chrono::milliseconds connect_timeout{2'000};
  /// Time to live of this node's record in the Redis membership table
  /// (refreshed every heartbeat; ignored with "static").
  std::chrono::milliseconds membership_ttl{5'000};
  /// Time an envelope that arrived from another node gets to be appended
  /// to its local mailbox before the sender is told to retry.
  std::chrono::milliseconds append_timeout{30'000};
};

/// The `cluster:` section.
const config::section<cluster_options>& cluster_section();

} // namespace bsm
