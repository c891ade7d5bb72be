#include "plugins/plugin_tools.hpp"

#include <algorithm>
#include <exception>

#include "runtime/error.hpp"

namespace bsm::plugins {

std::string tools_child_name(const std::string& plugin) {
  return "plugin_" + plugin;
}

v1::ToolListResponse tool_list(const plugin_contents& p) {
  v1::ToolListResponse result;
  for (const auto& tool : p.tools) {
    auto* spec = result.add_tools();
    spec->set_name(exposed_name(p.name, tool.name));
    spec->set_description(tool.description);
    spec->set_parameters_json(tool.input_schema_json);
  }
  return result;
}

namespace {

v1::ToolCallResponse response(plugin::tool_result result) {
  v1::ToolCallResponse resp;
  resp.set_content(std::move(result.text));
  resp.set_is_error(result.is_error);
  return resp;
}

} // namespace

caf::expected<v1::ToolCallResponse> call_tool(const plugin_contents& p,
                                              const v1::ToolCallRequest& req,
                                              outcome& how) {
  auto named = [&](const plugin::tool_spec& x) {
    return exposed_name(p.name, x.name) == req.name();
  };
  auto i = std::find_if(p.tools.begin(), p.tools.end(), named);
  if (i == p.tools.end()) {
    how = outcome::unknown_tool;
    return make_error(errc::not_found, "no tool '" + req.name()
                                         + "' in plugin '" + p.name + "'");
  }
  auto arguments
    = req.arguments_json().empty() ? std::string{"{}"} : req.arguments_json();
  // The plugin's code may throw anything; the model sees what it says.
  try {
    auto result = i->handler(arguments);
    how = result.is_error ? outcome::error : outcome::ok;
    return response(std::move(result));
  } catch (const std::exception& ex) {
    how = outcome::exception;
    return response(plugin::tool_result::error("tool '" + req.name()
                                               + "' failed: " + ex.what()));
  } catch (...) {
    how = outcome::exception;
    return response(plugin::tool_result::error(
      "tool '" + req.name() + "' failed with an unknown exception"));
  }
}

mcp_server_actor::behavior_type plugin_tools(plugin_tools_pointer self,
                                             plugin_ptr plugin,
                                             plugin_metrics metrics) {
  self->state.tools = tool_list(plugin->contents());
  self->state.plugin = std::move(plugin);
  self->state.metrics = metrics;
  return {
    [self](const v1::ToolListRequest&) -> v1::ToolListResponse {
      return self->state.tools;
    },
    [self](
      const v1::ToolCallRequest& req) -> caf::result<v1::ToolCallResponse> {
      auto& st = self->state;
      auto how = outcome::ok;
      auto result = call_tool(st.plugin->contents(), req, how);
      st.metrics.count_call(st.plugin->name(), how);
      if (!result)
        return std::move(result.error());
      return std::move(*result);
    },
    // Only MCP servers poll; nobody sends it here.
    [](atom::mcp_poll) {},
  };
}

mcp_server_actor spawn_plugin_tools(caf::actor_system& sys, plugin_ptr plugin,
                                    plugin_metrics metrics) {
  return sys.spawn<caf::detached>(plugin_tools, std::move(plugin), metrics);
}

} // namespace bsm::plugins
