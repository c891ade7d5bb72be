#pragma once

// The event stream of a tools/call of /mcp (the client accepts
// text/event-stream): first a priming event (an event id, `retry` and
// empty data, as the transport recommends), then, for a call with a
// progress token, the turn's tool steps as MCP progress notifications,
// then the call's JSON-RPC response, each one SSE `message` event with an
// id "<stream>-<n>". Resuming a stream with GET and Last-Event-ID is not
// served (GET /mcp is 405): a dropped stream loses its call. Plain code,
// tested without a node.

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http_api/stream_formats.hpp"

namespace bsm {

/// The reconnection delay the priming event names.
inline constexpr std::chrono::milliseconds mcp_stream_retry{1000};

/// The events of the call `id` on the stream `stream_id`; progress
/// notifications only when `token` is not null.
std::unique_ptr<stream_format>
mcp_call_events(nlohmann::json id, nlohmann::json token, std::string stream_id);

/// A whole answer as such a stream: the priming event, then `message`.
std::string mcp_answer_events(const std::string& stream_id,
                              const nlohmann::json& message);

} // namespace bsm
