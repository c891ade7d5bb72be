#pragma once

// The plugins' series: how many loaded and failed at start, and what their
// tool calls and actor kinds' messages came to.
//
//   bsm_plugins{state}                          loaded | failed
//   bsm_plugin_tool_calls_total{plugin,outcome} ok | error | exception |
//                                               unknown_tool
//   bsm_plugin_messages_total{kind,outcome}     ok | error | exception |
//                                               refused

#include <string>

#include "plugins/plugin_loader.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm::plugins {

/// How one call or message ended.
enum class outcome {
  /// Answered.
  ok,
  /// The handler answered with an error (a tool's is_error, a kind's
  /// failure).
  error,
  /// The handler threw.
  exception,
  /// A tool the plugin does not have.
  unknown_tool,
  /// A message of a type the kind did not declare, or a reply that does
  /// not parse.
  refused,
};

const char* to_string(outcome x);

/// The families; every member may be null (no metrics, as in tests).
struct plugin_metrics {
  metrics::family<metrics::counter>* tool_calls = nullptr;
  metrics::family<metrics::counter>* messages = nullptr;

  /// Registers the families and sets bsm_plugins from `set`.
  static plugin_metrics make(metrics::registry& reg, const plugin_set& set);

  void count_call(const std::string& plugin, outcome x) const;

  void count_message(const std::string& kind, outcome x) const;
};

} // namespace bsm::plugins
