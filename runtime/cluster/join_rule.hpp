#pragma once

// When a starting node knows the membership well enough to serve the names
// placement gives it. Until then a hash-placed name could belong to a
// member this node has not heard of, so serving it here would write its
// state on the wrong node. Pure state, driven by the membership actor,
// unit-tested with made-up clocks.
//
// A node without seeds or a Redis table is a cluster of one: `single`
// from the start. Any other node is `joining` until it has a view (it
// heard from a member or read the table) and every member that view
// reports as up (gossip, the table) was either heard from directly or
// declared down by this node's own detector (reported up, silent here for
// down_after). Then it is `joined` for the rest of its run: a member
// that turns up later does not make a serving node stop serving.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bsm/v1/cluster.pb.h"

namespace bsm::cluster {

enum class join_state {
  /// No seeds and no table: nobody else to wait for.
  single,
  /// Placed names may belong to members this node does not know yet.
  joining,
  /// The view is complete; placement decides.
  joined,
};

/// "single", "joining" or "joined".
const char* to_string(join_state x) noexcept;

class join_rule {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `has_peers`: the node has seeds or a membership table. `down_after`:
  /// how long a member reported up may stay silent here before this
  /// node's detector counts it as down.
  join_rule(std::string self, bool has_peers,
            std::chrono::milliseconds down_after);

  /// A heartbeat from `name` was accepted.
  void heard(const std::string& name);

  /// Another member (gossip) or the table reports `name` in `state`
  /// (UNSPECIFIED, from an older node, counts as up). Reports about this
  /// node itself are ignored.
  void reported(const std::string& name, v1::MemberState state, time_point now);

  /// The membership table was read (the view of a Redis cluster).
  void table_read();

  /// Applies the rule at `now` and returns the state; once `joined`, it
  /// stays so.
  join_state update(time_point now);

  join_state state() const noexcept {
    return state_;
  }

  /// Members reported up that this node has neither heard from nor
  /// declared down at `now`, by name.
  std::vector<std::string> waiting_for(time_point now) const;

private:
  struct member {
    bool heard = false;
    bool reported_up = false;
    /// Since when it is reported up (the detector's clock for it).
    time_point up_since{};
  };

  std::string self_;
  std::chrono::milliseconds down_after_;
  join_state state_;
  bool has_view_ = false;
  std::map<std::string, member> members_;
};

} // namespace bsm::cluster
