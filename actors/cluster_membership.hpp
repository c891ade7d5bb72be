#pragma once

// The node's view of the cluster (path "cluster"). Every
// cluster.heartbeat_interval it:
// - connects to every known member's cluster port it is not connected to
//   (seeds, members learned from heartbeats or the Redis table) through the
//   middleman's asynchronous connect, so no thread waits for a peer;
// - sends each connected member a Heartbeat (this node's record, what it
//   believes about the receiver, the members it knows);
// - ages the members (member_table): up -> suspect -> down;
// - publishes transitions as events cluster.member.up|suspect|down|left
//   and its view to the directory that every send reads.
// A dropped connection makes a member suspect at once. A tick that comes
// far too late means this node itself stalled (SIGSTOP, a frozen VM): it
// raises its incarnation, so the others accept it again as a new run and
// nothing from before the stall is taken for current, and it does not
// blame the others for its own silence. So does a heartbeat saying the
// others declared it down. With `membership: redis://...` a detached worker
// keeps this node's record in the Redis table (with a liveness key that
// has a TTL) and reports the others. A graceful stop is not a leave: every
// member is told the node is stopping (they mark it down at once and its
// stateful agents wait for it) and its liveness key is deleted; its record
// stays. Until the join rule (runtime/cluster/join_rule.hpp) holds, the
// directory places no hashed name anywhere. A decommission (LeaveRequest,
// asked of any member and passed to the one that leaves) is the leave:
// the hand-off actor (actors/handoff_actor.hpp) hands the node's state
// over while its heartbeats say `handing_off` (the others show it
// leaving), then they say `leaving` (the others mark it left).

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/io/middleman_actor.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "runtime/cluster/cluster_options.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/cluster/join_rule.hpp"
#include "runtime/cluster/member_table.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/store/store_writer.hpp"

namespace bsm {

struct cluster_membership_env {
  cluster_options opts;
  std::shared_ptr<cluster::directory> directory;
  std::shared_ptr<name_registry> names;
  std::shared_ptr<spdlog::logger> log;
  /// Where a raised incarnation is kept (meta column).
  store* db = nullptr;
  store_writer* writer = nullptr;
  /// The cluster port's transport (actors/cluster_transport.hpp): connects
  /// to peers through it, so outgoing connections are guarded and, with
  /// cluster.tls_*, mutual TLS too. Default: CAF's own middleman.
  caf::io::middleman_actor transport;
  /// Encodes a leave passed on to another member. REQUIRES: outlives the
  /// actor.
  const type_registry* types = nullptr;
};

/// The key of the node's incarnation in the meta column.
inline constexpr const char* incarnation_key = "cluster.incarnation";

struct cluster_membership_state {
  static constexpr const char* name = "cluster_membership";

  struct peer {
    caf::actor handle;
    std::string name;
    bool connecting = false;
  };

  cluster_membership_env env;
  std::unique_ptr<cluster::member_table> table;
  /// By cluster address: seeds and learned members.
  std::map<std::string, peer> peers;
  cluster_table_actor redis;
  bool redis_busy = false;
  std::chrono::steady_clock::time_point last_tick;
  /// When the incarnation was last raised.
  std::chrono::steady_clock::time_point raised_at;
  std::unique_ptr<cluster::join_rule> join;
  /// This node's decommission as the hand-off actor last reported it.
  v1::HandoffStatus handoff;
};

using cluster_membership_pointer
  = cluster_membership_actor::stateful_pointer<cluster_membership_state>;

cluster_membership_actor::behavior_type
cluster_membership(cluster_membership_pointer self, cluster_membership_env env);

} // namespace bsm
