#pragma once

// Helpers shared by run_engine.cpp and run_engine_start.cpp only.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"
#include "workflows/workflow_graph.hpp"

namespace bsm::workflows::detail {

/// Running or waiting: the step holds its place.
bool is_active(v1::StepState x);
/// Ended: succeeded, failed, skipped or cancelled.
bool is_over(v1::StepState x);
/// A stored step state as the graph counts it.
step_state graph_state(v1::StepState x);
/// `text` parsed, null when empty or not JSON.
nlohmann::json parse_or_null(const std::string& text);
/// JSON when `text` is a JSON object or array, else the text itself.
nlohmann::json json_or_text(const std::string& text);
/// A string as itself, null as "", anything else dumped.
std::string as_text(const nlohmann::json& x);
/// "<id>[<n>]" -> {id, n}; nothing for a top-level id.
std::optional<std::pair<std::string, size_t>> split_item(const std::string& id);
/// The id of item `n` of the map `map_id`.
std::string item_id(const std::string& map_id, size_t n);
/// A template string or value rendered in `ctx`.
caf::expected<nlohmann::json> render_text(const std::string& text,
                                          const nlohmann::json& ctx);
caf::expected<nlohmann::json> render_value(const nlohmann::json& value,
                                           const nlohmann::json& ctx);

} // namespace bsm::workflows::detail

namespace bsm::workflows {

// The two engine files use the helpers by their short names.
using detail::as_text;
using detail::graph_state;
using detail::is_active;
using detail::is_over;
using detail::item_id;
using detail::json_or_text;
using detail::parse_or_null;
using detail::render_text;
using detail::render_value;
using detail::split_item;

} // namespace bsm::workflows
