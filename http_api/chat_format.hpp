#pragma once

// The shapes of POST /v1/agents/{name}/chat (API.md, "Agents"): the JSON
// answer, and, for `Accept: text/event-stream`, the step events a streamed
// turn writes:
//   event: tool_call    data: {"tool","arguments"}          a call starts
//   event: tool_result  data: {"tool","arguments","result","is_error"}
//   event: question     data: a question (below) the turn waits on
//   event: progress     data: {"tool","server","progress","total"?,"message"?}
//   event: delta        data: {"content"}                   answer text
//   event: done         data: the JSON answer of a turn that is not streamed
//   event: error        data: {"error":{"code","message","request_id"}}
// Pure functions, so the wire format is tested without a node.

#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::chat_format {

/// The answer of a chat: {"agent","session_id","output","steps","usage",
/// "finish_reason","model"}.
nlohmann::json answer(const v1::ChatReply& reply);

/// {"prompt_tokens","completion_tokens","total_tokens"}.
nlohmann::json usage(const v1::TokenUsage& x);

/// One step: {"tool","arguments","result","is_error"} (arguments parsed
/// when they are JSON), and "questions" when its server asked some;
/// `with_result` false leaves out result, is_error and questions.
nlohmann::json step(const v1::ChatStep& x, bool with_result = true);

/// Progress of a tool call: {"tool","server","progress"}, with "total" and
/// "message" when the server gave them. `tool` as the model named it
/// ("<server>__<tool>").
nlohmann::json progress(const v1::ToolProgress& x);

/// A question a tool's server asked the turn's caller:
/// {"id","agent","session_id","turn_id","server","tool","message",
/// "schema","asked_at","deadline","state"}; state "pending", else
/// "accepted" (with "content"), "declined" or "cancelled", and
/// "answered_by" when someone answered.
nlohmann::json question(const v1::Question& x);

/// True if an Accept header value asks for text/event-stream and not for
/// JSON: then a chat streams its steps.
bool wants_event_stream(std::string_view accept);

/// `event: <name>\ndata: <json>\n\n`.
std::string sse_event(const char* name, const nlohmann::json& data);

} // namespace bsm::chat_format
