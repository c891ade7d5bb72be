#pragma once

// The OpenAI Chat Completions shapes the bridge serves (ECOSYSTEM.md):
// completions and stream chunks out, errors in OpenAI's shape.
// Pure functions, so the wire format is tested without a node.

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::openai_format {

/// "chatcmpl-<turn id>".
std::string completion_id(const v1::ChatReply& reply);

/// A `chat.completion` object for a finished turn.
nlohmann::json completion(const v1::ChatReply& reply, const std::string& model,
                          int64_t created);

/// A `chat.completion.chunk` with one choice carrying `delta` (and
/// `finish_reason` when not empty).
nlohmann::json chunk(const std::string& id, const std::string& model,
                     int64_t created, nlohmann::json delta,
                     const std::string& finish_reason = {});

/// The last chunk with `include_usage`: no choices, the usage.
nlohmann::json usage_chunk(const std::string& id, const std::string& model,
                           int64_t created, const v1::TokenUsage& usage);

/// One entry of a chunk's `delta.tool_calls` for the call at `index`: its
/// first (`first`: index, id, type "function", name and the arguments in
/// `piece`), or a later one (index and the next piece of the arguments).
nlohmann::json tool_call_delta(int index, const v1::ToolCallFragment& piece,
                               bool first);

/// The deltas of a client tool call that was not streamed, at `index`: a
/// chunk with index, id, type, name and empty arguments, then one with the
/// arguments.
std::vector<nlohmann::json>
tool_call_chunks(const std::string& id, const std::string& model,
                 int64_t created, const v1::ToolCall& call, int index);

/// `{"error":{"message","type","param","code"}}` for `err`; `param` names
/// the request field at fault (a not_found without one names "model").
nlohmann::json error_body(const caf::error& err, const std::string& param = {});

/// `data: <json>\n\n`.
std::string sse_data(const nlohmann::json& x);

} // namespace bsm::openai_format
