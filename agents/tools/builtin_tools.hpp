#pragma once

// The tools every agent may be given without a tool server: knowledge
// search, memory get/put, asking another agent, the current time. Their
// specs are what models see (OpenAI `tools`); the agent actor runs them.
// The synchronous ones (time, knowledge search) are plain functions here.

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "agents/knowledge/knowledge_index.hpp"
#include "agents/tools/tool_names.hpp"
#include "protocols/caf_types.hpp"

namespace bsm::agents {

/// Agents a delegation may pass through before it is refused.
inline constexpr int max_delegation_depth = 4;

/// The specs of all built-in tools, in a fixed order.
const std::vector<v1::ToolSpec>& builtin_tool_specs();

/// True if `name` is a built-in tool.
bool is_builtin_tool(const std::string& name);

/// Parses a model's arguments: a JSON object (an empty string counts as
/// `{}`). Errors: invalid_argument naming the problem, for the model.
caf::expected<nlohmann::json> parse_arguments(const std::string& text);

/// The string argument `key` of `args`. Errors: invalid_argument if it is
/// missing, not a string, or empty.
caf::expected<std::string> string_argument(const nlohmann::json& args,
                                           const char* key);

/// A tool result for the model.
v1::ToolCallResponse tool_result(std::string content, bool is_error = false);

/// current_time: UTC in ISO 8601 and Unix seconds.
v1::ToolCallResponse current_time_result();

/// knowledge_search {query, top_k?}: the best passages as JSON.
v1::ToolCallResponse
knowledge_search_result(const knowledge::knowledge_index& index,
                        const nlohmann::json& args, size_t default_top_k);

/// Why `chain` + `from` may not delegate to `target`, or empty if it may
/// (no agent twice, at most max_delegation_depth agents).
std::string delegation_problem(const std::vector<std::string>& chain,
                               const std::string& from,
                               const std::string& target);

} // namespace bsm::agents
