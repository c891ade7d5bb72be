#pragma once

// Where a name lives in the cluster. The membership actor publishes its
// view here (members, their states, incarnations, the names they
// advertise, the connections to their cluster ports); the mailbox router,
// the HTTP bridge, agents and the cluster port read it on every send, so
// reads are cheap and never wait for an actor.
//
// Resolution of a path:
// 1. A placed name (agents, from their definitions): its node if named;
//    else rendezvous (highest random weight) hashing of the path over the
//    members. A stateful name hashes over every member that has not left,
//    so it keeps its owner (and its state) while that owner is down; a
//    stateless one hashes over the members that are up, and a stateless
//    name whose node is down is placed on a live member instead. While
//    this node is still joining (join_rule) a hashed name resolves to
//    nobody (`unavailable`): its owner may be a member not known yet.
//    With replication_factor 2 a stateful hashed name is owned by the
//    first live node of its replica set (replicas()), so the next node of
//    its ranking takes over while its owner is down.
// 2. A name registered on this node: here.
// 3. A name another member advertises: that member (an up one first).
// 4. Otherwise: not_found.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "bsm/v1/cluster.pb.h"
#include "runtime/cluster/join_rule.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm::cluster {

struct placement {
  /// The owning node; empty means hashed.
  std::string node;
  bool stateless = false;
};

/// A member as the directory shows it.
struct member_info {
  v1::MemberRecord record;
  v1::MemberState state = v1::MEMBER_STATE_DOWN;
  int64_t last_seen_unix_ms = 0;
  /// Incarnations up to this one were declared down or left.
  uint64_t dead_up_to = 0;
};

/// The node a path resolves to.
struct owner {
  std::string node;
  bool local = false;
  v1::MemberState state = v1::MEMBER_STATE_UP;
};

/// What this node is to the cluster while it is decommissioned
/// (actors/handoff_actor.hpp).
enum class self_role {
  /// An ordinary member: placement counts it.
  member,
  /// Handing its state over: it still owns its names (the others keep it
  /// as their owner), but serves none of them (they resolve to nobody here).
  handing_off,
  /// Left: placement no longer counts it; its names resolve to their next
  /// owners here too.
  departed,
};

/// Whom placement counts for a resolution made for a decommission.
enum class self_view {
  /// This node as an ordinary member (who owned a name before).
  as_member,
  /// Every member but this node (who owns a name once it has left).
  without_self,
};

/// Splits "host:port" ("[::1]:7100" for IPv6). Nothing for a malformed one.
std::optional<std::pair<std::string, uint16_t>>
split_host_port(const std::string& address);

/// Rendezvous hashing: the candidate with the highest weight for `key`.
/// REQUIRES: `candidates` is not empty.
const std::string& rendezvous_owner(const std::string& key,
                                    const std::vector<std::string>& candidates);

/// Thread-safe: every member may be called from any thread.
class directory {
public:
  directory(std::string self, std::shared_ptr<const name_registry> local);

  const std::string& self() const noexcept {
    return self_;
  }

  /// Addresses this node is reached at (set once it listens).
  void set_self_addresses(std::string cluster, std::string http);
  std::string self_cluster_address() const;
  std::string self_http_address() const;

  /// This node's current incarnation.
  uint64_t incarnation() const;
  void set_incarnation(uint64_t x);

  /// Replaces the view of the other members (never this node).
  void set_members(std::vector<member_info> members);

  /// Replaces the placement rules (key: path, e.g. "agents/legal").
  void set_placements(std::map<std::string, placement> rules);

  /// Whether this node knows the membership (join_rule). Default:
  /// `single`, until the membership actor publishes its rule's state.
  join_state join() const;
  void set_join(join_state x);

  /// True unless the node is still joining.
  bool joined() const;

  /// This node's role while decommissioned. Default: member.
  self_role role() const;
  void set_self_role(self_role x);

  /// The owner of `path`. Errors: not_found (no placement, not registered
  /// here, not advertised by any member); unavailable (a name placed by
  /// hashing while this node is joining).
  caf::expected<owner> resolve(const std::string& path) const;

  /// False for a placed name while this node is joining, unless the
  /// placement names this node: such a name must not run here yet.
  bool may_serve_locally(const std::string& path) const;

  /// The owner of `key` by the rule of a stateful placed name that names
  /// no node: rendezvous over this node and every member that has not
  /// left. For state partitioned by key without a placement of its own
  /// (memory of a name that is not an agent: "memory/<name>").
  /// Errors: unavailable while this node is joining.
  caf::expected<owner> resolve_partition(const std::string& key) const;

  /// How many nodes keep a copy of each stateful hashed name's state
  /// (cluster.replication_factor; default 1). With 2 or more, the first
  /// live node of the name's replicas owns it (resolve).
  size_t replication_factor() const;
  void set_replication_factor(size_t n);

  /// The replica set of a stateful hashed name or partition key: the
  /// first replication_factor() nodes of its rendezvous ranking over this
  /// node and the members that have not left, in that order.
  std::vector<std::string> replicas(const std::string& path) const;

  /// True for this node and for members that are up or suspect.
  bool live_member(const std::string& node) const;

  /// The owner of `key` by its placement (or by the partition rule, for a
  /// key without one) as seen by `view`, whatever this node's role.
  /// Errors: unavailable while this node is joining.
  caf::expected<owner> resolve_as(const std::string& key, self_view view) const;

  /// Placement of `path`, if it has one.
  std::optional<placement> placement_of(const std::string& path) const;

  /// A member by name (never this node).
  std::optional<member_info> member(const std::string& name) const;

  std::vector<member_info> members() const;

  /// True if messages from `name` at `incarnation` may be acted on: the
  /// member is up or suspect, at that incarnation or a newer one, and it
  /// is not an incarnation declared down (see member_table::accepts).
  bool accepts(const std::string& name, uint64_t incarnation) const;

  /// As accepts, and also a member that left at exactly `incarnation`: a
  /// node that left still forwards what its mailboxes held (link batches
  /// only).
  bool accepts_link(const std::string& name, uint64_t incarnation) const;

  /// The handle of a member's cluster port while connected; null if not.
  caf::actor connection(const std::string& name) const;
  void set_connection(const std::string& name, caf::actor handle);

  /// Names of placed paths this node owns now.
  size_t owned_placements() const;

private:
  caf::expected<owner> resolve_placed(const std::string& path,
                                      const placement& rule) const;
  /// The rule itself; `with_self`: count this node as a candidate.
  caf::expected<owner> place(const std::string& path, const placement& rule,
                             bool with_self) const;
  owner make_owner(const std::string& node) const;
  bool is_live(const std::string& node) const;

  const std::string self_;
  std::shared_ptr<const name_registry> local_;
  mutable std::shared_mutex mtx_;
  uint64_t incarnation_ = 0;
  std::string cluster_address_;
  std::string http_address_;
  join_state join_ = join_state::single;
  size_t replication_factor_ = 1;

  self_role role_ = self_role::member;
  std::map<std::string, member_info> members_;
  std::map<std::string, placement> placements_;
  std::map<std::string, caf::actor> connections_;
};

} // namespace bsm::cluster
