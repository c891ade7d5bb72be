#pragma once

// The MCP server's side of the protocol (spec 2025-11-25), as JSON in and
// JSON out: one JSON-RPC 2.0 message read and checked, the answers to the
// methods that need nothing from the node (initialize, ping,
// logging/setLevel), and the agents as tools: each agent is the tool
// `ask_<agent>` with a message and an optional session. No I/O: the HTTP
// adapter (http_api/mcp_routes.cpp) runs the turns.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace bsm::gateway {

using json = nlohmann::json;

/// JSON-RPC 2.0 error codes.
namespace rpc_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
} // namespace rpc_code

/// The versions served, newest first; initialize settles on the client's
/// if listed, else on the newest.
inline constexpr std::array<std::string_view, 3> served_versions
  = {"2025-11-25", "2025-06-18", "2025-03-26"};

/// The version a request without MCP-Protocol-Version is taken to speak.
inline constexpr std::string_view assumed_version = "2025-03-26";

bool served_version(std::string_view v);

/// One message a client sent.
struct rpc_message {
  enum class kind { request, notification, response };
  kind type = kind::request;
  /// A request's id (string or number); null otherwise.
  json id;
  std::string method;
  /// An object (empty if the message had none).
  json params = json::object();
};

/// A JSON-RPC error as a value: the code and the message for the client.
struct rpc_failure {
  int code;
  std::string message;
};

/// Reads one message. A batch (an array) is refused: the 2025-06-18 and
/// later revisions have none.
std::variant<rpc_message, rpc_failure> read_message(const json& body);

json rpc_result(const json& id, json result);
json rpc_error(const json& id, const rpc_failure& failure);

/// The answer to initialize for `params`, by the node `node_name`; the
/// version it settles on in `*version`.
json initialize_result(const json& params, const std::string& node_name,
                       std::string* version);

/// True for the levels of logging/setLevel (RFC 5424's, lowercase).
bool log_level_known(std::string_view level);

/// An agent as a tool.
struct agent_tool {
  std::string agent;
  std::string description;
};

/// "ask_<agent>".
std::string tool_name(const std::string& agent);

/// The agent a tool name asks, if it is an `ask_` tool.
std::optional<std::string> agent_of(std::string_view tool);

/// tools/list's result.
json tools_list_result(const std::vector<agent_tool>& tools);

/// What a tools/call of an agent's tool asks for.
struct ask_arguments {
  std::string message;
  /// Empty: a new session.
  std::string session_id;
};

/// Checks a call's `arguments`: `message` a non-empty string of at most
/// `max_message_bytes`, `session_id` an optional string of at most 128
/// characters, nothing else.
std::variant<ask_arguments, rpc_failure>
read_ask_arguments(const json& arguments, size_t max_message_bytes);

/// A tool result: the agent's answer as text, and as structured content
/// with its session.
json answer_result(const std::string& output, const std::string& session_id);

/// A tool result that reports a failed turn (isError: the model sees it).
json failed_result(const std::string& message);

/// An agent session as a resource: "bsm://agents/<agent>/sessions/<id>".
std::string session_uri(const std::string& agent,
                        const std::string& session_id);

/// The agent and session a session URI names; nothing for another URI.
std::optional<std::pair<std::string, std::string>>
parse_session_uri(std::string_view uri);

/// resources/list's result: `sessions` (agent, session id).
json resources_list_result(
  const std::vector<std::pair<std::string, std::string>>& sessions);

/// resources/templates/list's result: the session URI template.
json resource_templates_result();

/// resources/read's result: one JSON text.
json resource_read_result(const std::string& uri, const std::string& text);

/// The JSON-RPC error of MCP for a resource that does not exist.
inline constexpr int resource_not_found = -32002;

/// notifications/progress for a call's token.
json progress_notification(const json& token, uint64_t progress,
                           const std::string& message);

} // namespace bsm::gateway
