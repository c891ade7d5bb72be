#include "plugins/plugin_metrics.hpp"

namespace bsm::plugins {

const char* to_string(outcome x) {
  switch (x) {
    case outcome::ok: return "ok";
    case outcome::error: return "error";
    case outcome::exception: return "exception";
    case outcome::unknown_tool: return "unknown_tool";
    case outcome::refused: return "refused";
  }
  return "?";
}

plugin_metrics plugin_metrics::make(metrics::registry& reg,
                                    const plugin_set& set) {
  auto& plugins = reg.gauge_family(
    "bsm_plugins",
    "Plugin libraries of plugins.paths by state at start: loaded, or "
    "failed (skipped; GET /v1/plugins says why).",
    {"state"});
  plugins.with({"loaded"}).set(static_cast<double>(set.loaded.size()));
  plugins.with({"failed"}).set(static_cast<double>(set.failed.size()));
  plugin_metrics result;
  result.tool_calls = &reg.counter_family(
    "bsm_plugin_tool_calls_total",
    "Calls of plugins' tools, by plugin and outcome: ok, error (the tool "
    "answered an error), exception (its handler threw), unknown_tool.",
    {"plugin", "outcome"});
  result.messages = &reg.counter_family(
    "bsm_plugin_messages_total",
    "Messages handled by plugins' actor kinds, by kind and outcome: ok, "
    "error, exception (the actor restarts), refused (a type it did not "
    "declare, or a reply that does not parse).",
    {"kind", "outcome"});
  // Every loaded plugin's series exist from the start, so a scrape shows 0s.
  for (const auto& p : set.loaded) {
    for (auto x : {outcome::ok, outcome::error, outcome::exception})
      result.tool_calls->with({p->name(), to_string(x)});
    for (const auto& kind : p->contents().actor_kinds)
      for (auto x : {outcome::ok, outcome::error, outcome::exception})
        result.messages->with({kind.kind, to_string(x)});
  }
  return result;
}

void plugin_metrics::count_call(const std::string& plugin, outcome x) const {
  if (tool_calls != nullptr)
    tool_calls->with({plugin, to_string(x)}).inc();
}

void plugin_metrics::count_message(const std::string& kind, outcome x) const {
  if (messages != nullptr)
    messages->with({kind, to_string(x)}).inc();
}

} // namespace bsm::plugins
