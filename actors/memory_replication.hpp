#pragma once

// Memory's replicas (cluster.replication_factor 2). An agent whose memory
// is placed by hashing has a replica set: its owner and the next node of
// its ranking (directory::replicas). The node acting for the agent (the
// first live one of the set) claims an epoch at the other copy before it
// serves the agent's memory (copying the whole state from it first when
// that copy acted later: runtime/cluster/replica_rule.hpp), and sends every
// change there before it makes it and answers. A copy refuses changes and
// claims of an older epoch, so a node that stopped acting (paused, cut
// off) and comes back cannot acknowledge anything for the agent. With the
// other copy down the node acts alone under a raised epoch, and copies the
// whole state to it once it is back (it answers `behind`).
//
// The acting side runs requests of replicated agents one at a time in
// arrival order (their claims and changes wait for a remote answer; the
// memory actor keeps serving the other copies' requests meanwhile). The
// copy's side answers at once, from the store.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/remote_call.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/cluster/replica_rule.hpp"
#include "runtime/containers/bounded_lru.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm {

struct memory_write;

struct memory_replication_env {
  /// Null: one node, no replicas.
  std::shared_ptr<const cluster::directory> directory;
  remote_call_env calls;
  /// Limit of one claim, change or page at the other copy.
  std::chrono::milliseconds timeout{5'000};
  /// How long a claim the other copy confirmed serves reads without
  /// asking it again (cluster::lease_holds): half the failure detector's
  /// down_after.
  std::chrono::milliseconds lease{1'500};
};

/// Series bsm_memory_replica_* (null members are not updated).
struct memory_replica_metrics {
  /// Changes sent to the other copy, by outcome.
  metrics::counter* applied = nullptr;
  metrics::counter* refused_stale = nullptr;
  metrics::counter* failed = nullptr;
  /// Claims made, whole-state copies pulled and pushed.
  metrics::counter* claims = nullptr;
  metrics::counter* pulls = nullptr;
  metrics::counter* pushes = nullptr;
  /// Changes this node refused as a copy because they were stale.
  metrics::counter* refused_here = nullptr;

  static memory_replica_metrics make(metrics::registry& reg);
};

/// What the memory actor keeps for replicas.
struct memory_replicas {
  /// Most requests of replicated agents waiting their turn.
  static constexpr size_t max_queued = 4096;

  struct claim {
    cluster::epoch_record record;
    /// Acting without a live copy (under an epoch the copy has not seen).
    bool alone = false;
    /// When the last exchange the copy answered for this claim was sent.
    std::chrono::steady_clock::time_point confirmed_at;
  };

  memory_replication_env env;
  memory_replica_metrics metrics;
  /// Agents this incarnation acts for, by a claim it made. An agent
  /// forgotten is claimed again (one more epoch) when next used.
  bounded_lru<claim> claimed{4096};
  std::deque<std::function<void()>> queue;
  bool busy = false;
  bool pumping = false;

  bool enabled() const;
};

} // namespace bsm
