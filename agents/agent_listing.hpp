#pragma once

// What GET /v1/agents shows: each agent's definition with where and how it
// runs (node, mailbox depth, its state and restarts under the agents
// supervisor). Plain functions over what the agent manager gathered.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "agents/agent_catalog.hpp"
#include "protocols/caf_types.hpp"

namespace bsm::agents {

using agent_entries = std::vector<std::shared_ptr<const agent_entry>>;

/// The entries a list request asks for: every agent (by name) for an empty
/// `name`, else that one. Errors: not_found for an unknown name.
[[nodiscard]] caf::expected<agent_entries>
select_agents(const agent_catalog& catalog, const std::string& name);

/// One agent on node `node_name`: its mailbox depth from `depths` (by
/// actor path, 0 if absent) and its state and restarts from `tree`, the
/// agents supervisor's subtree ("stopped" if it is not there or `tree` is
/// null).
[[nodiscard]] v1::AgentInfo
describe_agent(const agent_entry& entry, const std::string& node_name,
               const std::map<std::string, uint64_t>& depths,
               const v1::TreeNode* tree);

/// describe_agent() of each entry, in order.
[[nodiscard]] v1::AgentListResponse
list_agents(const agent_entries& entries, const std::string& node_name,
            const std::map<std::string, uint64_t>& depths,
            const v1::TreeNode* tree);

} // namespace bsm::agents
