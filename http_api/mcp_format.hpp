#pragma once

// A streamed tools/call of /mcp (a call that carries a progress token and
// accepts text/event-stream): the turn's tool steps as MCP progress
// notifications, then the call's JSON-RPC response, each one SSE `message`
// event. Plain class, tested without a node.

#include <memory>

#include <nlohmann/json.hpp>

#include "http_api/stream_formats.hpp"

namespace bsm {

/// The events of the call `id` whose progress token is `token`.
std::unique_ptr<stream_format> mcp_call_events(nlohmann::json id,
                                               nlohmann::json token);

} // namespace bsm
