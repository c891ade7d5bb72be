#pragma once

// The cluster port's transport: a middleman actor of our own (CAF 0.17's
// io::middleman_actor interface, so publish and connect work as with CAF's)
// whose connections read through a cluster::basp_guard, and, with
// cluster.tls_* configured, through TLS with a peer certificate required on
// both sides (CAF's caf_openssl sessions: SSL_VERIFY_PEER |
// SSL_VERIFY_FAIL_IF_NO_PEER_CERT against cluster.tls_ca).
//
// Why not CAF's own middleman: its BASP broker sizes its read buffer to
// whatever length a header announces, before any handshake, and a peer
// that never completes a handshake (BASP's, or TLS's) is held forever.
// Here every block a connection reads passes the guard before the broker
// sees it (a refused peer is closed, the broker told as for a lost
// connection); a peer whose handshake is not complete within
// cluster.handshake_timeout is closed; at most
// cluster.max_pending_handshakes accepted connections wait for theirs.
// The data path is CAF's: the guard reads the 32-byte header in place, no
// copy.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/io/middleman_actor.hpp>
#include <spdlog/logger.h>

#include "runtime/cluster/basp_guard.hpp"
#include "runtime/config/listen_address.hpp"

namespace bsm {

struct cluster_transport_options {
  cluster::basp_limits limits;
  /// Time a peer has to complete its handshake (TLS, then BASP).
  std::chrono::milliseconds handshake_timeout{5'000};
  /// Accepted connections that may wait for their handshake at once.
  uint64_t max_pending_handshakes = 64;
  /// Serve and connect through TLS (the actor system must have loaded
  /// caf::openssl::manager with certificate, key and CA).
  bool tls = false;
};

/// Peers refused so far, by reason (read from any thread).
struct cluster_transport_counters {
  std::atomic<uint64_t> refused_frames{0};
  std::atomic<uint64_t> handshake_timeouts{0};
  std::atomic<uint64_t> over_pending_limit{0};
  /// Ended before the handshake, not by us (TLS refused the peer, or the
  /// peer left).
  std::atomic<uint64_t> handshake_failures{0};
};

/// Spawns the transport (detached, hidden: it blocks in connect()). Stop it
/// with an exit message before the actor system goes.
caf::io::middleman_actor
spawn_cluster_transport(caf::actor_system& sys, cluster_transport_options opts,
                        std::shared_ptr<spdlog::logger> log,
                        std::shared_ptr<cluster_transport_counters> counters);

/// Publishes `whom` on `address` through `transport`; the bound port.
/// Blocks the calling thread (never a scheduler thread).
[[nodiscard]] caf::expected<uint16_t> publish_on_cluster_port(
  caf::actor_system& sys, const caf::io::middleman_actor& transport,
  const caf::actor& whom, const std::set<std::string>& interface,
  const listen_address& address);

} // namespace bsm
