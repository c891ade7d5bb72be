#pragma once

// A node's decommission (path "handoff"): the membership actor starts it
// when this node is asked to leave (POST /v1/cluster/members/{node}/leave,
// asked on any node, reaches this one). In order:
// 1. The directory's self role becomes `handing_off`: every stateful name
//    this node owns, and every memory partition, resolves to nobody here
//    (asks get 503 with Retry-After, mailboxes hold their deliveries, the
//    cluster port refuses memory requests for them), and the heartbeats
//    say so (the others show the node `leaving` and keep it as the owner,
//    so nothing is written anywhere else meanwhile).
// 2. After `settle` (turns in flight end), each agent with state in the
//    store whose partition this node owns is copied to the partition's next
//    owner (placement without this node; actors/state_transfer.hpp), one
//    agent at a time; a copy that fails is tried again after `retry_after`
//    and counted.
// 3. The role becomes `departed`: the heartbeats say `leaving` (the others
//    mark the node left and place its names on their next owners), and its
//    mailboxes forward what they still hold, and what the others' outboxes
//    still bring, to the new owners through the outboxes (the link layer
//    and the receiving mailboxes drop duplicates by key).
// 4. Once no mailbox or outbox of the node has held anything for `quiet`,
//    the phase is `done`: the node may be stopped.
// Progress: HandoffStatus to the membership actor (GET /v1/cluster), the
// metrics bsm_handoff_*, and log lines. Spawn detached: the store's reads
// (the agents with state, the chunks) block.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "actors/remote_call.hpp"
#include "actors/state_transfer.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/mailbox/mailbox_depths.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm {

/// Where the hand-off actor is registered.
inline constexpr const char* handoff_path = "handoff";

/// Series bsm_handoff_*; null members are not updated.
struct handoff_metrics {
  metrics::counter* agents = nullptr;
  metrics::counter* entries = nullptr;
  metrics::counter* bytes = nullptr;
  metrics::counter* failures = nullptr;

  static handoff_metrics make(metrics::registry& reg);
};

struct handoff_env {
  remote_call_env calls;
  std::shared_ptr<cluster::directory> directory;
  /// REQUIRES: outlives the actor.
  const store* db = nullptr;
  std::shared_ptr<const mailbox_depths> depths;
  std::shared_ptr<spdlog::logger> log;
  handoff_metrics metrics;
  state_transfer_options transfer;
  /// Wait after the role changes before the first copy. Default: 1 s.
  std::chrono::milliseconds settle{1000};
  /// Wait before a failed copy is tried again. Default: 1 s.
  std::chrono::milliseconds retry_after{1000};
  /// How long the mailboxes must stay empty before the phase is done.
  /// Default: 2 s.
  std::chrono::milliseconds quiet{2000};
  /// How often the mailboxes are looked at meanwhile. Default: 250 ms.
  std::chrono::milliseconds poll{250};
};

struct handoff_state {
  static constexpr const char* name = "handoff";

  handoff_env env;
  v1::HandoffStatus status;
  /// The agents still to copy, from the page being worked on.
  std::vector<std::string> queue;
  /// The last agent listed (the next page starts after it).
  std::string listed_up_to;
  bool listed_all = false;
  /// Since when every mailbox has been empty.
  std::optional<std::chrono::steady_clock::time_point> empty_since;
};

using handoff_pointer = handoff_actor::stateful_pointer<handoff_state>;

handoff_actor::behavior_type handoff(handoff_pointer self, handoff_env env);

} // namespace bsm
