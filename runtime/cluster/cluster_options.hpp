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
  /// Silence after which a peer counts as down (its stateless agents
  /// move; stateful ones wait for it). Also how long a joining node waits
  /// for a member others report up before it stops waiting for it.
  std::chrono::milliseconds down_after{3'000};
  /// Limit of one connection attempt to a peer. Minimum: 100ms.
  std::chrono::milliseconds connect_timeout{2'000};
  /// Time to live of this node's liveness key in the Redis membership
  /// table (refreshed every heartbeat; ignored with "static"). Its record
  /// has none: it stays until the node is decommissioned.
  std::chrono::milliseconds membership_ttl{5'000};
  /// Time an envelope that arrived from another node gets to be appended
  /// to its local mailbox before the sender is told to retry.
  std::chrono::milliseconds append_timeout{30'000};
  /// Nodes that keep each stateful hashed agent's memory (its key/value
  /// space and sessions): 1, its owner only (it waits for its owner while
  /// that is down), or 2, the owner and the next node of its ranking, which
  /// has every change before the owner acknowledges it and takes over
  /// while the owner is down (runtime/cluster/replica_rule.hpp). Range 1..2.
  uint64_t replication_factor = 1;

  // -- what a peer may make this node hold (actors/cluster_transport.hpp) --

  /// Largest BASP frame payload a member may send, in bytes; a peer that
  /// announces more is disconnected before anything is allocated. A batch
  /// of `mailbox.link_batch` envelopes must fit. Range: 64 KiB..1 GiB.
  uint64_t max_frame_bytes = 64ull << 20;
  /// Largest handshake payload a peer may announce before it is a member
  /// (its first frame). Range: 1 KiB..1 MiB.
  uint64_t max_handshake_bytes = 16 * 1024;
  /// Time a peer has from connecting to a complete handshake (TLS, then
  /// BASP) before it is disconnected. Minimum: 100ms.
  std::chrono::milliseconds handshake_timeout{5'000};
  /// Accepted connections that may wait for their handshake at once; more
  /// are closed at once. Range: 1..65536.
  uint64_t max_pending_handshakes = 64;

  // -- mutual TLS between nodes: all three paths or none --

  /// PEM certificate (chain) this node shows to its peers.
  std::string tls_certificate;
  /// PEM private key of tls_certificate (unencrypted; keep it mode 600).
  std::string tls_key;
  /// PEM CA certificate(s) a peer's certificate must chain to; peers
  /// without one are refused, on accepted and outgoing connections alike.
  std::string tls_ca;
};

/// True when the cluster port is served through mutual TLS (all three
/// cluster.tls_* paths set; the section's check refuses one or two).
bool tls_enabled(const cluster_options& x);

/// True when the node has others to join: seeds or a membership table. A
/// node without either is a cluster of one.
bool has_peers(const cluster_options& x);

/// The `cluster:` section.
const config::section<cluster_options>& cluster_section();

} // namespace bsm
