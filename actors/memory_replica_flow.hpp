#pragma once

// The memory actor's replica steps (memory_replication.hpp): the acting
// node's queue, claims, changes and whole-state copies, and the copy's
// answers.

#include <functional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/memory_actor.hpp"

namespace bsm::memory_flow {

/// True if `agent`'s memory has replicas (and this node acts for it only
/// by a claim).
bool replicated(memory_pointer self, const std::string& agent);

/// A request's work once its agents are claimed here, or the reason they
/// cannot be (then it only answers with that error). It calls `done` once
/// finished, which starts the next request.
using job = std::function<void(caf::error, std::function<void()> done)>;

/// Runs `work` after the requests queued before it, once every agent in
/// `agents` is claimed by this node. Errors passed to `work`: unavailable
/// (another node serves the agent's memory now, the other copy cannot be
/// reached, or too many requests wait).
void run_claimed(memory_pointer self, std::vector<std::string> agents,
                 job work);

/// Sends `writes` of `agent` to its other copy; `then` gets none once the
/// copy has them (or when no copy is live: this node then acts alone
/// under a raised epoch), else the reason (unavailable).
void replicate(memory_pointer self, const std::string& agent,
               std::vector<memory_write> writes,
               std::function<void(caf::error)> then);

// -- the copy's side --

caf::expected<v1::EpochClaimResponse>
on_claim(memory_state& st, const v1::EpochClaimRequest& req);
caf::expected<v1::ReplicaWriteResponse>
on_change(memory_state& st, const v1::ReplicaWriteRequest& req);
caf::expected<v1::AgentStatePageResponse>
on_page(memory_state& st, const v1::AgentStatePageRequest& req);
caf::expected<v1::AgentStateLoadResponse>
on_load(memory_state& st, const v1::AgentStateLoadRequest& req);

} // namespace bsm::memory_flow
