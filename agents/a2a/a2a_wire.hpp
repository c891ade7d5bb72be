#pragma once

// The A2A client's side of the protocol, as JSON in and JSON out: where a
// remote agent's card is, what the card says (its JSON-RPC endpoint and
// version, its description), the SendMessage request, and the answer
// read back from the task or message it returns. A2A 1.0 and 0.3 alike.
// No I/O: the remote agent's actor (a2a_remote.hpp) does the HTTP.

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "bsm/v1/agents.pb.h"

namespace bsm::a2a {

using json = nlohmann::json;

/// The card's URL for a configured `url`: itself if it ends in ".json",
/// else "<url>/.well-known/agent-card.json".
std::string card_url(std::string_view url);

/// What the client needs of a card.
struct remote_card {
  std::string name;
  std::string description;
  /// The JSON-RPC endpoint.
  std::string endpoint;
  /// Speaks A2A 1.0 (SendMessage); else 0.3 (message/send).
  bool v1 = true;
};

/// Reads a card: the JSONRPC entry of `supportedInterfaces` (1.0
/// preferred), else a 0.3 card's `url` (its `preferredTransport` JSONRPC
/// or unset). Errors: invalid_argument naming what is missing, or that the
/// agent offers no JSON-RPC.
[[nodiscard]] caf::expected<remote_card> read_card(const json& card);

/// The tool of a remote agent `server`: "<server>__ask", described by the
/// card, taking `message` and an optional `context_id`.
v1::ToolSpec ask_tool(const std::string& server, const remote_card& card);

/// What a call of the tool asks.
struct ask {
  std::string message;
  /// Empty: a new conversation.
  std::string context_id;
};

/// Reads the tool's arguments. Errors: invalid_argument.
[[nodiscard]] caf::expected<ask> read_ask(const std::string& arguments_json);

/// The JSON-RPC request `id` sending `x` (SendMessage or message/send).
json send_request(const ask& x, const remote_card& card, int64_t id,
                  const std::string& message_id);

/// The remote agent's answer: its text and the conversation to go on in.
struct answer {
  std::string text;
  std::string context_id;
  /// The task's last state as the remote named it ("completed",
  /// "input-required", ...); empty for a message.
  std::string state;
};

/// Reads the JSON-RPC response to send_request: the task's artifacts'
/// text (or its status message's), or the message's text. Errors:
/// internal for a JSON-RPC error (its code and message), a task that
/// failed, was rejected or canceled (its status message), or a result
/// that is neither a task nor a message.
[[nodiscard]] caf::expected<answer> read_answer(const json& response);

/// The tool's result for the model: the answer's text, and its structured
/// form {"answer","context_id","state"} so the model can go on.
v1::ToolCallResponse tool_result(const answer& x);

} // namespace bsm::a2a
