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

/// What the node runs now, as the agent manager gathered it.
struct running_view {
  /// Mailbox depths by actor path.
  std::map<std::string, uint64_t> depths;
  /// The agents supervisor's subtree; null if it did not answer.
  const v1::TreeNode* tree = nullptr;
  /// The tools the tool host serves now ("<server>__<tool>"); null if it
  /// did not answer.
  const std::vector<std::string>* hosted_tools = nullptr;
};

/// Where a tool name of a definition comes from now: "builtin",
/// "mcp:<server>" for a tool (or a "<server>__*" pattern) the tool host
/// serves, else "unresolved" (an MCP server that is not running, or a
/// name nothing provides).
[[nodiscard]] std::string
tool_source(const std::string& tool,
            const std::vector<std::string>* hosted_tools);

/// One agent on node `node_name`: its mailbox depth (0 if absent), its
/// state and restarts ("stopped" if it is not in the tree or there is no
/// tree) and its tools' sources, from `now`.
[[nodiscard]] v1::AgentInfo describe_agent(const agent_entry& entry,
                                           const std::string& node_name,
                                           const running_view& now);

/// describe_agent() of each entry, in order.
[[nodiscard]] v1::AgentListResponse list_agents(const agent_entries& entries,
                                                const std::string& node_name,
                                                const running_view& now);

} // namespace bsm::agents
