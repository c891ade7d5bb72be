#pragma once

// A plugin's tools as a tool server of the tool host: one detached actor
// per plugin with tools, "tools/plugin_<plugin>" beside the MCP servers'
// actors, speaking mcp_server_actor. The host routes "<plugin>__<tool>"
// to it as it routes an MCP server's tools (agents/tools/tool_host.hpp).
//
// Calls run one at a time on the actor's own thread, so a handler that
// blocks holds up only its plugin's next calls, never a scheduler thread;
// the tool host gives up on a call after its timeout (deadline_exceeded)
// while the handler finishes unseen. A handler that throws becomes a
// result with is_error and the exception's text, which the model sees.

#include <string>

#include <caf/expected.hpp>

#include "agents/mcp/mcp_server.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_metrics.hpp"

namespace bsm::plugins {

/// The child name of a plugin's tool actor: "plugin_<plugin>".
std::string tools_child_name(const std::string& plugin);

/// The tools `p` offers, named "<plugin>__<tool>".
v1::ToolListResponse tool_list(const plugin_contents& p);

/// Runs the call of `req` on `p`'s tool and says how it ended in `how`.
/// Never throws. Errors: not_found for a tool `p` does not have.
[[nodiscard]] caf::expected<v1::ToolCallResponse>
call_tool(const plugin_contents& p, const v1::ToolCallRequest& req,
          outcome& how);

struct plugin_tools_state {
  static constexpr const char* name = "plugin_tools";
  plugin_ptr plugin;
  plugin_metrics metrics;
  v1::ToolListResponse tools;
};

using plugin_tools_pointer = caf::stateful_actor<
  plugin_tools_state,
  typed_actor_base<
    caf::replies_to<v1::ToolListRequest>::with<v1::ToolListResponse>,
    caf::replies_to<v1::ToolCallRequest>::with<v1::ToolCallResponse>,
    caf::reacts_to<atom::mcp_poll>>>*;

/// The behavior. Blocks its (detached) thread in calls.
mcp_server_actor::behavior_type plugin_tools(plugin_tools_pointer self,
                                             plugin_ptr plugin,
                                             plugin_metrics metrics);

/// Spawns the actor detached, as it must run.
mcp_server_actor spawn_plugin_tools(caf::actor_system& sys, plugin_ptr plugin,
                                    plugin_metrics metrics);

} // namespace bsm::plugins
