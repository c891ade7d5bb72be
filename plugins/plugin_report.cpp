#include "plugins/plugin_report.hpp"

#include "plugins/plugin_kinds.hpp"

namespace bsm::plugins {

namespace {

using nlohmann::json;

json loaded_entry(const loaded_plugin& p) {
  const auto& c = p.contents();
  json tools = json::array();
  for (const auto& tool : c.tools)
    tools.push_back(exposed_name(c.name, tool.name));
  json kinds = json::array();
  for (const auto& kind : c.actor_kinds)
    kinds.push_back(
      {{"kind", kind.kind},
       {"path", std::string{plugins_supervisor_name} + "/" + kind.kind},
       {"handles", kind.handles}});
  return {{"name", c.name},
          {"version", c.version},
          {"description", c.description},
          {"path", p.path().string()},
          {"state", "loaded"},
          {"tools", std::move(tools)},
          {"actor_kinds", std::move(kinds)}};
}

} // namespace

json report(const plugin_set& set) {
  json list = json::array();
  for (const auto& p : set.loaded)
    list.push_back(loaded_entry(*p));
  for (const auto& x : set.failed)
    list.push_back({{"name", x.name},
                    {"path", x.path.string()},
                    {"state", "failed"},
                    {"reason", x.reason}});
  return {{"plugins", std::move(list)}};
}

std::string summary(const loaded_plugin& p) {
  const auto& c = p.contents();
  std::string tools;
  for (const auto& tool : c.tools)
    tools += (tools.empty() ? "" : ", ") + exposed_name(c.name, tool.name);
  std::string kinds;
  for (const auto& kind : c.actor_kinds)
    kinds += (kinds.empty() ? "" : ", ") + std::string{plugins_supervisor_name}
             + "/" + kind.kind;
  return "plugin '" + c.name + "' " + c.version + " from " + p.path().string()
         + ": tools " + (tools.empty() ? std::string{"none"} : tools)
         + "; actor kinds " + (kinds.empty() ? std::string{"none"} : kinds);
}

} // namespace bsm::plugins
