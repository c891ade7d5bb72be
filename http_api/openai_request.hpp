#pragma once

// Requests of POST /v1/chat/completions, read and checked as OpenAI checks
// them (ECOSYSTEM.md): a field of the wrong type or out of range is a 400
// `invalid_request_error` naming the field (`param`), never silently
// ignored. Pure functions, tested without a node.

#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::openai_format {

/// A request of POST /v1/chat/completions as the agent takes it.
struct completion_request {
  v1::ChatRequest chat;
  bool stream = false;
  bool include_usage = false;
};

/// Reads a request body. Errors: invalid_argument saying what is wrong,
/// and `*param` (when given) set to the field at fault, as OpenAI names it
/// ("temperature", "messages[2]"). Unknown fields are ignored, as clients
/// echo fields such as `refusal`. The generation settings (temperature,
/// top_p, max_tokens or max_completion_tokens, stop, seed, penalties,
/// response_format) go to the turn in `chat.generation`. Refused as
/// unsupported rather than ignored: `n` above 1 and `logprobs`.
caf::expected<completion_request> parse_request(const nlohmann::json& body,
                                                std::string* param = nullptr);

} // namespace bsm::openai_format
