#pragma once

// Message types only the nodes of a cluster send each other (memory's
// replicas and their epochs, a decommission's state chunks) or an actor
// sends another (a task's end, to the workflow waiting on it): a client
// could otherwise write an agent's state around memory's checks, fence
// its owner or end a workflow's step. Injection and tasks refuse them.

#include <string>

namespace bsm::http_handlers {

inline bool cluster_internal(const std::string& type_name) {
  for (const auto* internal :
       {"bsm.v1.EpochClaimRequest", "bsm.v1.ReplicaWriteRequest",
        "bsm.v1.AgentStatePageRequest", "bsm.v1.AgentStateLoadRequest",
        "bsm.v1.StateChunkRequest", "bsm.v1.TaskFinished"})
    if (type_name == internal)
      return true;
  return false;
}

} // namespace bsm::http_handlers
