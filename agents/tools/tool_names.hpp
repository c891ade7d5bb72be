#pragma once

// The one list of tool names: the built-in tools' names (models, the local
// model and the agent actor spell them only through these), and how MCP
// tools are named towards models: "<server>__<tool>", within the
// rule OpenAI sets for function names (^[a-zA-Z0-9_-]{1,64}$, also in
// ToolSpec.name of agents.proto). Server names come from the config
// ([a-z0-9_-], no "__"), so the first "__" of a name ends the server.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bsm::agents {

inline constexpr const char* knowledge_search_tool = "knowledge_search";
inline constexpr const char* memory_get_tool = "memory_get";
inline constexpr const char* memory_put_tool = "memory_put";
inline constexpr const char* ask_agent_tool = "ask_agent";
inline constexpr const char* current_time_tool = "current_time";

} // namespace bsm::agents

namespace bsm::mcp {

/// Between the server and the tool name.
inline constexpr std::string_view tool_separator = "__";

/// Longest name a model accepts.
inline constexpr size_t max_tool_name_length = 64;

/// True if `x` matches ^[a-zA-Z0-9_-]{1,64}$.
[[nodiscard]] bool is_valid_tool_name(std::string_view x);

/// "<server>__<tool>" with every character of `tool` outside
/// [a-zA-Z0-9_-] replaced by '_'; nullopt if the result is longer than 64
/// characters or `tool` is empty (the caller skips such tools).
[[nodiscard]] std::optional<std::string>
exposed_tool_name(std::string_view server, std::string_view tool);

/// Splits "<server>__<tool>" at the first "__" into server and tool;
/// nullopt if there is no "__" or either side is empty.
[[nodiscard]] std::optional<std::pair<std::string_view, std::string_view>>
split_tool_name(std::string_view name);

} // namespace bsm::mcp
