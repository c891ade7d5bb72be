#pragma once

// The A2A (Agent2Agent) server's side of the protocol, as JSON in and JSON
// out: the methods of A2A 1.0's JSON-RPC binding (SendMessage,
// SendStreamingMessage, GetTask, CancelTask, as @a2a-js/sdk 1.3.0 speaks
// them) and their 0.3 names (message/send, message/stream, tasks/get,
// tasks/cancel), each answered in its own version's shapes; a sent
// message read and checked; tasks, stream events and the Agent Card. No
// I/O: the HTTP adapter (http_api/a2a_routes.cpp) runs the turns.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/mcp_protocol.hpp"

namespace bsm::gateway {

/// The A2A error codes of the JSON-RPC binding (beside rpc_code's).
namespace a2a_code {
inline constexpr int task_not_found = -32001;
inline constexpr int task_not_cancelable = -32002;
inline constexpr int push_notification_not_supported = -32003;
inline constexpr int unsupported_operation = -32004;
inline constexpr int content_type_not_supported = -32005;
inline constexpr int version_not_supported = -32009;
} // namespace a2a_code

/// Which version's shapes a request is answered in: 1.0 (proto JSON:
/// "TASK_STATE_COMPLETED", "ROLE_AGENT", parts without `kind`, results
/// wrapped as {"task": ...}) or 0.3 ("completed", "agent", `kind` on every
/// object).
enum class a2a_dialect { v1, v0_3 };

enum class a2a_method { send, stream, get_task, cancel_task };

struct a2a_call {
  a2a_method method;
  a2a_dialect dialect;
};

/// The method `name` names, in either version; nothing for another name.
std::optional<a2a_call> a2a_method_of(std::string_view name);

/// Whether the A2A-Version header's value is served ("1.0", "0.3"; a
/// patch number is ignored; empty is taken as served).
bool a2a_version_served(std::string_view version);

enum class task_state { working, completed, failed, canceled };

/// The state's name in `dialect`.
std::string state_name(task_state state, a2a_dialect dialect);

bool is_terminal(task_state state);

/// What SendMessage / message/send asks for.
struct send_request {
  /// The text parts of the message, joined by newlines.
  std::string text;
  /// Empty: a new conversation (a new session).
  std::string context_id;
};

/// Reads SendMessage's params: `message` with role user and text parts
/// only, of at most `max_text_bytes` together; an optional `contextId` (a
/// session id: at most 128 characters of letters, digits and "-_.:");
/// no `taskId` (a task is not continued; a new message in the same
/// context is) and no push notification configuration.
std::variant<send_request, rpc_failure> read_send_params(const json& params,
                                                         size_t max_text_bytes);

/// Reads the task id of GetTask / CancelTask's params (`id`).
std::variant<std::string, rpc_failure> read_task_id(const json& params);

/// A task as the adapter knows it.
struct task_view {
  std::string id;
  std::string context_id;
  task_state state = task_state::working;
  /// The agent's answer (an artifact) once completed.
  std::string answer;
  /// Why it failed (the status message) once failed.
  std::string error;
};

/// The Task object.
json task_json(const task_view& task, a2a_dialect dialect);

/// SendMessage's result: {"task": Task} in 1.0, the Task in 0.3.
json send_result(const task_view& task, a2a_dialect dialect);

/// The results of a stream's events: the task when it starts, a piece of
/// the answer (the artifact "answer", `append` after the first piece,
/// `last` on the last), a change of state (the last event when terminal).
json stream_task_event(const task_view& task, a2a_dialect dialect);
json stream_artifact_event(const task_view& task, const std::string& text,
                           bool append, bool last, a2a_dialect dialect);
json stream_status_event(const task_view& task, a2a_dialect dialect);

/// What the Agent Card tells of one agent.
struct card_facts {
  std::string agent;
  std::string description;
  /// The agent's JSON-RPC endpoint, absolute ("https://host/a2a/agents/x").
  std::string url;
  /// The node's version.
  std::string version;
  /// The agent's tools (the skill's tags).
  std::vector<std::string> tools;
};

/// The Agent Card: A2A 1.0's `supportedInterfaces` (JSONRPC, 1.0) and,
/// for 0.3 clients, `url`, `preferredTransport` and `protocolVersion`
/// "0.3" on top; streaming; text in and out; one skill, the agent's chat.
json agent_card(const card_facts& facts);

} // namespace bsm::gateway
