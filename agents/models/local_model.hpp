#pragma once

// The local model provider's brain: rules and retrieval, no language model
// and no network. It lets a node answer chats out of the box, lets tests
// drive the agent turn loop deterministically, and says what it is in every
// answer so that nobody mistakes it for an LLM.
//
// A turn with the local provider goes like this. The input is the content
// of the last "user" message.
// 1. If the messages after it contain tool results ("tool" messages), the
//    turn is in its answer phase: the reply combines those results, named
//    by tool, with the knowledge passages of the request
//    (finish_reason "stop").
// 2. Otherwise the first rule whose form matches the input decides: if its
//    tool is in `tools` (by exact name) the answer is one tool call
//    (finish_reason "tool_calls", empty content, id "call_<number of
//    messages>_0"), else a note says the agent lacks the tool and step 3
//    follows. The rules, in this order:
//    - "call <tool> [with] {json}", "use <tool> [with] {json}", "call
//      <tool>" (arguments "{}") for any tool of the request; arguments that
//      are not a JSON object get an explanation instead ("stop");
//    - "remember [that] <key> is <value>", "remember <key>: <value>" ->
//      memory_put {"key","value"} (key lowercased, a leading "the " dropped);
//    - "recall <key>", "what do you remember about <key>" -> memory_get
//      {"key"};
//    - "ask <agent>: <question>", "ask the <agent> agent <question>", "ask
//      <agent> to <task>", "ask <agent> about <topic>" -> ask_agent
//      {"agent","input"};
//    - "search [for] <query>", "look up <query>" -> knowledge_search
//      {"query"};
//    - "what time is it", "what's the date", "current time", ... anywhere
//      in the input -> current_time {}.
//    A leading "please " is ignored.
// 3. Otherwise it answers from `knowledge`: the best passages quoted with
//    "[n] source — title", or, with none, a plain "nothing found" and what
//    the agent can do with its tools.
// Every content starts with `honesty_marker`. The client's generation
// settings apply where a rule-based answer can follow them: `stop` ends the
// content before the first stop sequence; `max_tokens` (else the model's)
// > 0 cuts it to about max_tokens * 4 bytes (finish_reason "length");
// response_format json_object gives `{"content": "<answer>"}`. A JSON
// schema it cannot follow is refused (refuse_locally); temperature, top_p,
// seed and the penalties change nothing in a deterministic answer.

#include <cstdint>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "bsm/v1/agents.pb.h"

namespace bsm::models {

/// The first line of every answer of the local provider.
constexpr std::string_view honesty_marker
  = "(local provider: retrieval over this agent's knowledge and rules, no "
    "language model)";

/// Answers `req` as described above: `message` (role "assistant"),
/// `finish_reason`, `usage` (prompt: all message contents; completion: the
/// content and tool calls), `model` = "local"; `provider_micros` stays 0
/// for the caller to fill. Pure and deterministic: no I/O, no clock, no
/// randomness, microseconds for ordinary requests, so it may run on a CAF
/// scheduler thread.
v1::ModelResponse complete_locally(const v1::ModelRequest& req);

/// invalid_argument for what the local provider cannot honour (a
/// response_format json_schema), else none.
caf::error refuse_locally(const v1::ModelRequest& req);

/// `text` in word-sized pieces for streaming: each word with the
/// whitespace after it; the pieces concatenate to `text`.
std::vector<std::string_view> word_pieces(std::string_view text);

/// What the local provider streams of `res`, its answer to `req`: the
/// content in word_pieces(), then each call of a tool of
/// `req.relay_tool_calls()` as one whole fragment (relayed_calls.hpp).
std::vector<v1::ChatDelta> local_deltas(const v1::ModelRequest& req,
                                        const v1::ModelResponse& res);

/// About one token per four bytes of `text`; at least 1 if `text` is not
/// empty, 0 if it is.
uint64_t approximate_tokens(std::string_view text);

} // namespace bsm::models
