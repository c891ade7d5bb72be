#pragma once

// Sampling (spec 2025-11-25, sampling/createMessage): an MCP server asks the
// client's model for a completion. The node answers with the model of the
// agent whose tool call is running, where the server's config allows it
// (`allow_sampling`); these functions translate between the request and
// the node's model messages (agents.proto), without an actor system.

#include <string>

#include <caf/expected.hpp>

#include "agents/mcp/server_requests.hpp"
#include "bsm/v1/agents.pb.h"

namespace bsm::mcp {

/// The model request for a sampling/createMessage with params `params_json`,
/// asked of `model` (the calling agent's settings): the systemPrompt as a
/// system message, then the messages (text content only), maxTokens capping
/// the agent's own limit, the request's temperature over the agent's.
/// Errors: `invalid_argument` for params that are no object, without
/// messages or a positive maxTokens, with a role other than user or
/// assistant, with content that is not text, or with tools (not offered).
[[nodiscard]] caf::expected<v1::ModelRequest>
sampling_request(const std::string& params_json,
                 const v1::ModelSettings& model);

/// The result of sampling/createMessage for the model's answer: role
/// assistant, text content, the model's name and a stopReason ("endTurn",
/// or "maxTokens" when the answer was cut at the limit).
std::string sampling_result(const v1::ModelResponse& resp);

} // namespace bsm::mcp
