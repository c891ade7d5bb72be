#pragma once

// What the cluster port serves to other nodes and to tools in other
// processes (published through CAF's middleman, BASP over TCP):
// - durable sends (SendRequest), forwarded to whichever incarnation of the
//   mailbox router is registered;
// - heartbeats, forwarded to the membership actor;
// - batches from other nodes' outboxes, appended to the local mailboxes in
//   order (each entry deduplicated by its idempotency key, or its id), and
//   acknowledged up to the last one that is durable here;
// - asks and tells to local actors on behalf of other nodes; asks are
//   refused once the node stops (runtime/cluster/ask_drain.hpp). A
//   streamed ask carries the asking node's sink, which the local actor
//   gets with the message: a remote agent's deltas cross as they come.
// Anything from a node that is not a live member at that incarnation is
// refused, so a node that was declared down cannot act on what it held
// before it rejoins. Stateless; the node owns it for its whole life, so the
// handle other processes hold never goes stale.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "runtime/cluster/ask_drain.hpp"
#include "runtime/cluster/cluster_options.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/http/http_options.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

/// Path under which the router is registered.
inline constexpr const char* mailbox_router_path = "mailboxes";

/// Path of the membership actor.
inline constexpr const char* cluster_membership_path = "cluster";

struct cluster_ingress_env {
  std::shared_ptr<name_registry> names;
  /// Null on a node started without the cluster layer (tools, tests).
  std::shared_ptr<const cluster::directory> directory;
  const type_registry* types = nullptr;
  std::shared_ptr<spdlog::logger> log;
  /// Longest ask accepted from another node (http.max_ask_timeout).
  std::chrono::milliseconds max_ask_timeout = http_options{}.max_ask_timeout;
  /// The wait for the local router's append of one batch entry
  /// (cluster.append_timeout).
  std::chrono::milliseconds append_timeout = cluster_options{}.append_timeout;
  /// The asks served for other nodes, shared with the node that drains
  /// them on a graceful stop. Null: never drained.
  std::shared_ptr<cluster::ask_drain> asks;
};

struct cluster_ingress_state {
  static constexpr const char* name = "cluster_ingress";

  /// Per sending node: the next link_seq a batch may start at (or
  /// before). Unknown after a restart, when the sender's oldest
  /// unacknowledged entry decides (LinkBatch.oldest_unacked).
  std::unordered_map<std::string, uint64_t> next_link_seq;
};

using cluster_ingress_pointer
  = cluster_ingress_actor::stateful_pointer<cluster_ingress_state>;

cluster_ingress_actor::behavior_type
cluster_ingress(cluster_ingress_pointer self, cluster_ingress_env env);

} // namespace bsm
