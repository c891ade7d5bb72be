#include "agents/agent_listing.hpp"

#include "actors/interfaces.hpp"
#include "agents/agent_definition.hpp"
#include "agents/tools/builtin_tools.hpp"
#include "agents/tools/tool_names.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/error.hpp"

namespace bsm::agents {

caf::expected<agent_entries> select_agents(const agent_catalog& catalog,
                                           const std::string& name) {
  if (name.empty())
    return catalog.all();
  if (auto entry = catalog.find(name))
    return agent_entries{std::move(entry)};
  return make_error(errc::not_found, "no agent '" + name + "'");
}

std::string tool_source(const std::string& tool,
                        const std::vector<std::string>* hosted_tools) {
  if (is_builtin_tool(tool))
    return "builtin";
  auto parts = mcp::split_tool_name(tool);
  if (!parts || hosted_tools == nullptr)
    return "unresolved";
  auto pattern = parts->second == "*";
  auto prefix = std::string{parts->first} + std::string{mcp::tool_separator};
  for (const auto& hosted : *hosted_tools)
    if (pattern ? hosted.rfind(prefix, 0) == 0 : hosted == tool)
      return "mcp:" + std::string{parts->first};
  return "unresolved";
}

v1::AgentInfo describe_agent(const agent_entry& entry,
                             const std::string& node_name,
                             const running_view& now) {
  const auto& depths = now.depths;
  const auto* tree = now.tree;
  v1::AgentInfo info;
  const auto& def = entry.def;
  info.set_name(def.name());
  info.set_description(def.description());
  info.set_node(node_name);
  info.set_model(model_label(def));
  for (const auto& x : def.tools()) {
    info.add_tools(x);
    (*info.mutable_tool_sources())[x] = tool_source(x, now.hosted_tools);
  }
  auto path = agent_path(def.name());
  if (auto i = depths.find(path); i != depths.end())
    info.set_mailbox_depth(i->second);
  info.set_state("stopped");
  if (tree)
    for (const auto& child : tree->children())
      if (child.name() == path) {
        info.set_state(
          enum_label(v1::ChildState_Name(child.state()), "CHILD_STATE_"));
        info.set_restarts(child.restarts());
      }
  return info;
}

v1::AgentListResponse list_agents(const agent_entries& entries,
                                  const std::string& node_name,
                                  const running_view& now) {
  v1::AgentListResponse resp;
  for (const auto& entry : entries)
    *resp.add_agents() = describe_agent(*entry, node_name, now);
  return resp;
}

} // namespace bsm::agents
