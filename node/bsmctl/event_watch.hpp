#pragma once

// Watching events until one says the watched thing ended: the shared part
// of `bsmctl tasks watch` and `bsmctl runs watch`.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "node/bsmctl/command_context.hpp"

namespace bsm::ctl {

struct event_watch {
  /// The `topic` pattern, percent-encoded ("task.%23").
  std::string topic;
  /// Whether an event is printed.
  std::function<bool(const ordered_json& event)> keep;
  /// Whether a printed event is the last one.
  std::function<bool(const ordered_json& event)> ends;
  /// Give up after this long. Default: never.
  std::optional<std::chrono::milliseconds> timeout;
  /// The exit code when the timeout passes.
  int on_timeout = 0;
};

/// Streams GET /v1/events?topic=..., printing the kept events (a table
/// line or compact JSON) until one ends the watch.
int watch_events(command_context& ctx, const event_watch& watch);

} // namespace bsm::ctl
