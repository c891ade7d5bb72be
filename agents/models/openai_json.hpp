#pragma once

// The OpenAI Chat Completions wire format (shared/ECOSYSTEM.md) as pure
// functions over nlohmann::json: our bsm.v1 messages to request bodies,
// response bodies and streamed chunks back to bsm.v1 messages. The client
// (openai_client.hpp) and the HTTP bridge's /v1/chat/completions both use
// these, so the two sides of the node speak the same dialect.
//
// Nothing here throws: malformed input comes back as an error.
// Errors: `invalid_argument` for JSON that does not have the expected shape
// (messages start "upstream sent ..." for upstream bodies); an `{"error":
// {...}}` body becomes the error it describes (see `upstream_error`).

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"

namespace bsm::models {

// -- messages and tools -------------------------------------------------------

/// One entry of `messages`: role and content; assistant tool calls as
/// `{id, type:"function", function:{name, arguments}}` (content null when the
/// message has tool calls only); tool messages with `tool_call_id`. `name` is
/// sent for roles other than "tool" when set (OpenAI refuses it there).
nlohmann::json to_json(const v1::ChatMessage& msg);

/// Parses one entry of a client's `messages`. Roles: system, developer (read
/// as system), user, assistant, tool. Content: a string, an array of
/// `{type:"text", text}` parts (joined with "\n"), or null/absent for an
/// assistant message. Tool messages need `tool_call_id`. Unknown fields are
/// ignored. Errors: `invalid_argument` naming the offending field.
[[nodiscard]] caf::expected<v1::ChatMessage>
message_from_json(const nlohmann::json& x);

/// `{type:"function", function:{name, description, parameters}}`. Empty
/// or "{}" parameters become `{"type":"object","properties":{}}`, which all
/// upstreams accept; parameters that are not a JSON object (a bug of
/// whoever made the spec) are sent as that empty schema too.
nlohmann::json to_json(const v1::ToolSpec& tool);

/// Parses one entry of a client's `tools`. Errors: `invalid_argument` for a
/// type other than "function", a missing or invalid name (1..64 of
/// [a-zA-Z0-9_-]) or parameters that are not an object.
[[nodiscard]] caf::expected<v1::ToolSpec>
tool_from_json(const nlohmann::json& x);

/// The knowledge passages as the text of one system message:
/// "Relevant knowledge:\n[1] source — title\ntext\n\n[2] ...". Empty for no
/// passages.
std::string render_knowledge(
  const google::protobuf::RepeatedPtrField<v1::KnowledgePassage>& passages);

// -- requests and responses ---------------------------------------------------

/// The body of POST /chat/completions for `req`: model, messages (the
/// knowledge as an extra system message after the leading system
/// messages), tools, temperature if set, max_tokens if > 0, and `stream`
/// (with `stream_options.include_usage` when true).
nlohmann::json to_chat_request(const v1::ModelRequest& req, bool stream);

/// Reads a (non-streamed) completion: the first choice's message, its
/// finish_reason (derived when missing: "tool_calls" if there are tool
/// calls, else "stop"), usage and model. Errors: the error an `{"error":
/// {...}}` body describes; `invalid_argument` ("upstream sent ...") for a
/// body without choices or message.
[[nodiscard]] caf::expected<v1::ModelResponse>
from_chat_response(const nlohmann::json& x);

/// The error an OpenAI error object (`{"message","type","code",...}`, or the
/// whole `{"error":...}` body) describes, as one of our codes: rate limits
/// and quotas -> `resource_exhausted`, server errors -> `unavailable`,
/// invalid requests -> `invalid_argument`, anything else -> `fallback`. The
/// text is "upstream error: <message>".
[[nodiscard]] caf::error upstream_error(const nlohmann::json& x, errc fallback);

/// The `message` of an OpenAI error body, if it has one.
std::optional<std::string> upstream_error_message(const nlohmann::json& body);

// -- streaming ----------------------------------------------------------------

/// Assembles a streamed completion from the data of its events, one at a
/// time: content deltas, tool calls by `index` (id, type and name in the
/// first fragment, argument fragments appended), finish_reason, and usage
/// (from the final `choices:[]` chunk of `include_usage`). Calls of the
/// relayed tools are passed on as they arrive: relay or not is decided per
/// index once the call's name is known.
class stream_accumulator {
public:
  /// Passes on the calls of `relayed` tools (relayed_calls.hpp).
  explicit stream_accumulator(std::set<std::string> relayed = {});

  /// Consumes one event's data ("[DONE]" or a chunk object). Returns what
  /// to forward to the client, in order: content fragments and fragments
  /// of relayed calls (empty: nothing). A relayed call's first fragment
  /// has its id (the answer's, "call_<index>" if the upstream sent none),
  /// its name and the arguments so far; later ones the next piece of the
  /// arguments. Errors: `invalid_argument` for data that is not a JSON
  /// object or a chunk of the wrong shape; the upstream's error for an
  /// error object mid-stream. Data after "[DONE]" is ignored.
  [[nodiscard]] caf::expected<std::vector<v1::ChatDelta>>
  feed(std::string_view data);

  /// True once "[DONE]" arrived.
  bool done() const noexcept {
    return done_;
  }

  /// True once feed() returned anything to forward.
  bool forwarded() const noexcept {
    return forwarded_;
  }

  /// The whole answer. Errors: `unavailable` if the stream ended before
  /// "[DONE]" and before any finish_reason (a dropped stream).
  [[nodiscard]] caf::expected<v1::ModelResponse> result() const;

private:
  struct partial_call {
    std::string id;
    std::string name;
    std::string arguments;
    /// Set once the name is known: whether the call is passed on.
    std::optional<bool> relayed;
  };

  caf::error take_choice(const nlohmann::json& choice,
                         std::vector<v1::ChatDelta>& out);
  caf::error take_tool_call(const nlohmann::json& x,
                            std::vector<v1::ChatDelta>& out);
  void relay(int64_t index, partial_call& call, size_t known_arguments,
             std::vector<v1::ChatDelta>& out);

  std::set<std::string> relayed_;
  bool done_ = false;
  bool forwarded_ = false;
  std::string content_;
  std::map<int64_t, partial_call> calls_;
  std::string finish_reason_;
  std::string model_;
  std::optional<v1::TokenUsage> usage_;
};

} // namespace bsm::models
