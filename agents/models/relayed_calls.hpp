#pragma once

// Which tool calls of a streamed model answer go to the sink while the
// model writes them (ModelRequest.relay_tool_calls: the client's tools),
// and how a provider that has the whole answer at once relays them. Pure
// functions, shared by the local and the OpenAI-compatible providers.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "protocols/caf_types.hpp"

namespace bsm::models {

/// The names of `req.relay_tool_calls()`.
std::set<std::string> relayed_tools(const v1::ModelRequest& req);

/// The id an answer gives a call that came without one: "call_<index>".
std::string fallback_call_id(int64_t index);

/// One delta with a fragment of the call at `index`.
v1::ChatDelta call_fragment(int64_t index, std::string id, std::string name,
                            std::string arguments);

/// Each call of `answer` to one of `relayed` as one whole fragment (id,
/// name and all its arguments), indexed by its position among the
/// answer's calls.
std::vector<v1::ChatDelta>
whole_call_fragments(const v1::ChatMessage& answer,
                     const std::set<std::string>& relayed);

} // namespace bsm::models
